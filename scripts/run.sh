#!/usr/bin/env bash
# The main job: builds Portalis (Release) and runs the default demonstration.
#
# Until the scene runner lands, the demonstration is the engine on the shared
# benchmark kernels: each kernel is compiled to an import-free wasm module
# (clang --target=wasm32-wasi), run by `portalis run --invoke bench`, and its
# checksum compared with the same C code built natively.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared="${PORTALIS_SHARED_DIR:-$root/../shared}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
kb="$root/build/bench-kernels"
make -s -C "$shared/bench-kernels" BUILD="$kb" small >/dev/null
echo "Portalis engine demo: the bench kernels (small size) as wasm vs native"
printf '%-11s %-18s %-18s %8s %s\n' kernel wasm native "wasm s" ""
fail=0
for k in fib sieve matmul mandelbrot stencil3d pcloud crc32 qsort; do
  start=$(date +%s.%N)
  got=$(build/bin/portalis run --invoke bench "$kb/lib-small/$k.wasm")
  end=$(date +%s.%N)
  hex=$(printf '%016x' "$got")
  want=$("$kb/native-small/$k" | awk '{print $2}')
  ok=OK; [ "$hex" = "$want" ] || { ok=MISMATCH; fail=1; }
  printf '%-11s %-18s %-18s %8.3f %s\n' "$k" "$hex" "$want" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" "$ok"
done
exit $fail
