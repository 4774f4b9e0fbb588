#!/bin/sh
# The bench kernels' SIMD flavour (clang -O3 -msimd128, bench/CMakeLists.txt)
# must return the checksum of their plain wasm build (on the interpreter),
# on the interpreter and on the native tier.
# usage: kernels_agree.sh PORTALIS BENCH_KERNELS_DIR
portalis=$1 dir=$2
pass=0 fail=0
for simd in "$dir"/lib-simd-small/*.wasm; do
    k=$(basename "$simd" .wasm)
    b=$("$portalis" run --invoke bench "$dir/lib-small/$k.wasm")
    for tier in interp native; do
        a=$("$portalis" run --tier $tier --invoke bench "$simd")
        if [ -n "$a" ] && [ "$a" = "$b" ]; then
            pass=$((pass + 1))
        else
            echo "FAIL $k: simd flavour '$a' ($tier), plain build '$b'"
            fail=$((fail + 1))
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
