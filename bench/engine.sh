#!/usr/bin/env bash
# Times the bench kernels (bench/kernels) on the Portalis interpreter
# against their native gcc -O2 builds. Not a test: it prints a table
#   kernel / native s / interp s / ratio / checksum
# and the geometric mean of the ratios (target of issue 2: at most 10, and no
# kernel above 30).
#
# usage: bench/engine.sh [--small] [--kernels a,b,...] [--runs N] [--build DIR]
#                        [--tier interp|native] [--wasm2c] [--simd]
#
#   --small        use the small flavour (-DBENCH_SMALL, about 1/16 of the work)
#   --kernels K    comma-separated subset (default: all eight)
#   --runs N       timed runs per measurement (default 3; the median is used)
#   --build DIR    CMake build folder of Portalis (default: build, Release);
#                  the build compiles the kernels into DIR/bench-kernels
#   --tier T       the Portalis tier (default interp); `native` runs
#                  `portalis run --tier native` after one untimed run that
#                  fills the native-code cache (targets of issue 12: mean
#                  <= 1.10, none above 1.5)
#   --cpu          report user+system CPU seconds (hyperfine's means)
#                  instead of wall time: on a machine shared with other work
#                  wall time mostly measures the others
#   --simd         the kernels' SIMD flavour (clang -O3 -msimd128, lib-simd),
#                  against the same native gcc -O2 builds (gcc 12's -O2
#                  vectorises with SSE2); the target of issue 18 for the
#                  native tier is the same mean <= 1.10
#   --wasm2c       also times each kernel translated by wabt's wasm2c and
#                  compiled with cc -O2 against wabt's runtime (guard pages),
#                  in the same run
#
# Each kernel runs natively (build/native[-small]/<k>) and as
# `portalis run --invoke bench build/lib[-small]/<k>.wasm`. The CLI prints the
# i64 checksum as signed decimal; it is converted to 16 hex digits and compared
# with the native output (OK / MISMATCH). Times are whole-process wall times:
# hyperfine's median when hyperfine is installed, else the median of N runs
# measured with `date +%s.%N`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
kernels_dir="$root/bench/kernels"
build="$root/build"
small=0
runs=3
kernels="fib sieve matmul mandelbrot stencil3d pcloud crc32 qsort"
tier=interp
wasm2c=0
cpu=0
simd=0

while [ $# -gt 0 ]; do
  case "$1" in
    --small) small=1 ;;
    --kernels) shift; kernels=$(echo "${1:?--kernels needs a list}" | tr ',' ' ') ;;
    --kernels=*) kernels=$(echo "${1#--kernels=}" | tr ',' ' ') ;;
    --runs) shift; runs=${1:?--runs needs a number} ;;
    --build) shift; build=${1:?--build needs a folder} ;;
    --tier) shift; tier=${1:?--tier needs interp or native} ;;
    --wasm2c) wasm2c=1 ;;
    --cpu) cpu=1 ;;
    --simd) simd=1 ;;
    -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "engine.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
case "$tier" in interp|native) ;; *) echo "engine.sh: --tier expects interp or native" >&2; exit 2 ;; esac

# 1. Portalis (Release unless the folder is already configured otherwise).
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target portalis bench_kernels -j"$(nproc)" >/dev/null
portalis="$build/bin/portalis"
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
sanitize=$(sed -n 's/^PORTALIS_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt")
if [ "$btype" != Release ] || [ -n "$sanitize" ]; then
  echo "warning: $build is a '$btype' build${sanitize:+ with sanitizers ($sanitize)}; times are not representative" >&2
fi

# 2. The kernels, built by the build (target bench_kernels) into the build tree.
kbuild="$build/bench-kernels"
if [ $small = 1 ]; then nat=native-small; lib=lib-small; else nat=native; lib=lib; fi
if [ $simd = 1 ]; then lib=${lib/lib/lib-simd}; fi
for k in $kernels; do
  if [ ! -f "$kernels_dir/$k.c" ]; then
    echo "engine.sh: unknown kernel '$k'" >&2
    exit 2
  fi
done

# 3. Timing helpers: print the median wall time in seconds of a command.
have_hyperfine=0
if command -v hyperfine >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
  have_hyperfine=1
elif [ $cpu = 1 ]; then
  echo "engine.sh: --cpu needs hyperfine and python3" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median_time() {
  if [ $have_hyperfine = 1 ]; then
    hyperfine -N --style none --warmup 0 --runs "$runs" --export-json "$tmp/h.json" -- "$*" >/dev/null 2>&1
    python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][0]
print("%.4f" % (r["user"] + r["system"] if sys.argv[2] == "1" else r["median"]))' "$tmp/h.json" "$cpu"
  else
    local times=()
    for _ in $(seq "$runs"); do
      local t0 t1
      t0=$(date +%s.%N)
      "$@" >/dev/null
      t1=$(date +%s.%N)
      times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.4f\n", a[int((NR+1)/2)]}'
  fi
}

# wasm2c: the kernel translated by wabt's wasm2c, compiled with cc -O2 and
# wabt's runtime (Debian: wabt ships wasm2c, wasm-rt.h and wasm-rt-impl.c);
# prints the path of the program, or nothing if it cannot be built.
w2c_build() {
  local k=$1 d="$tmp/w2c-$1" impl=/usr/share/wabt/wasm2c/wasm-rt-impl.c
  command -v wasm2c >/dev/null 2>&1 && [ -f "$impl" ] || return 0
  mkdir -p "$d"
  wasm2c "$kbuild/$lib/$k.wasm" -n "$k" -o "$d/$k.c" 2>/dev/null || return 0
  printf '#include <stdio.h>\n#include "%s.h"\nint main(void) { wasm_rt_init(); Z_%s_init_module(); Z_%s_instance_t i; Z_%s_instantiate(&i);\n  printf("%%016llx\\n", (unsigned long long)Z_%sZ_bench(&i)); Z_%s_free(&i); wasm_rt_free(); return 0; }\n' \
    "$k" "$k" "$k" "$k" "$k" "$k" >"$d/main.c"
  cc -O2 -I"$d" -I/usr/share/wabt/wasm2c "$d/$k.c" "$d/main.c" "$impl" -lm -o "$d/$k" 2>/dev/null && echo "$d/$k"
}

# 4. Run.
run_flags=()
[ "$tier" = native ] && run_flags=(--tier native)
what=$([ "$tier" = native ] && echo "native tier" || echo interpreter)
echo "Portalis $what vs native gcc -O2 ($([ $small = 1 ] && echo small || echo full) size, median of $runs runs$([ $have_hyperfine = 1 ] && echo ', hyperfine')$([ $cpu = 1 ] && echo ', user+sys CPU s'))"
if [ $wasm2c = 1 ]; then
  printf '%-12s %10s %10s %8s %10s %8s  %s\n' kernel "native s" "portalis s" ratio "wasm2c s" ratio checksum
else
  printf '%-12s %10s %10s %8s  %s\n' kernel "native s" "portalis s" ratio checksum
fi
ratios=()
w2c_ratios=()
status=0
for k in $kernels; do
  native_out=$("$kbuild/$nat/$k")
  native_sum=${native_out##* }
  if interp_out=$("$portalis" run "${run_flags[@]}" --invoke bench "$kbuild/$lib/$k.wasm" 2>"$tmp/err"); then
    interp_sum=$(printf '%016x' "$interp_out")
  else
    interp_sum="error: $(head -n1 "$tmp/err")"
  fi
  if [ "$interp_sum" = "$native_sum" ]; then
    check=OK
  else
    check="MISMATCH (native $native_sum, portalis $interp_sum)"
    status=1
  fi
  tn=$(median_time "$kbuild/$nat/$k")
  if [ "$check" = OK ]; then
    ti=$(median_time "$portalis" run "${run_flags[@]}" --invoke bench "$kbuild/$lib/$k.wasm")
    ratio=$(awk -v a="$ti" -v b="$tn" 'BEGIN {printf "%.2f", a / b}')
    ratios+=("$ratio")
  else
    ti="-"
    ratio="-"
  fi
  if [ $wasm2c = 1 ]; then
    tw="-" wratio="-"
    w2c=$(w2c_build "$k")
    if [ -n "$w2c" ] && [ "$("$w2c")" = "$native_sum" ]; then
      tw=$(median_time "$w2c")
      wratio=$(awk -v a="$tw" -v b="$tn" 'BEGIN {printf "%.2f", a / b}')
      w2c_ratios+=("$wratio")
    fi
    printf '%-12s %10s %10s %8s %10s %8s  %s\n' "$k" "$tn" "$ti" "$ratio" "$tw" "$wratio" "$check"
  else
    printf '%-12s %10s %10s %8s  %s\n' "$k" "$tn" "$ti" "$ratio" "$check"
  fi
done
targets="mean <= 10, none above 30"
[ "$tier" = native ] && targets="mean <= 1.10, none above 1.5"
if [ ${#ratios[@]} -gt 0 ]; then
  printf '%s\n' "${ratios[@]}" | awk -v t="$targets" '{s += log($1); if ($1 > m) m = $1} END {
    printf "geometric mean of ratios: %.2f over %d kernels (max %.2f; target: %s)\n", exp(s / NR), NR, m, t }'
fi
if [ ${#w2c_ratios[@]} -gt 0 ]; then
  printf '%s\n' "${w2c_ratios[@]}" | awk '{s += log($1); if ($1 > m) m = $1} END {
    printf "wasm2c (cc -O2, guard pages): geometric mean %.2f over %d kernels (max %.2f)\n", exp(s / NR), NR, m }'
fi
exit $status
