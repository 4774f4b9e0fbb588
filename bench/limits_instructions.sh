#!/usr/bin/env bash
# Instruction counts (valgrind callgrind) of the bench kernels on engines
# without checks, with interruption, and with fuel + interruption: a
# deterministic measure of what the limit checks cost, unaffected by other
# load on the machine. Not a test. Usage: bench/limits_instructions.sh [BUILD]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${1:-$root/build}"
kb="$build/bench-kernels"
cmake --build "$build" --target limits_overhead bench_kernels >/dev/null
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$build/bin/limits_overhead" --only "$1" "$2" 2>&1 |
    awk '/Collected :/{print $NF}'
}
printf '%-11s %14s %14s %14s %8s %8s\n' kernel plain intr fuel "intr %" "fuel %"
for k in fib sieve matmul mandelbrot stencil3d pcloud crc32 qsort; do
  w="$kb/lib-small/$k.wasm"
  p=$(count plain "$w"); i=$(count intr "$w"); f=$(count fuel "$w")
  awk -v k="$k" -v p="$p" -v i="$i" -v f="$f" \
    'BEGIN{printf "%-11s %14.0f %14.0f %14.0f %+7.2f%% %+7.2f%%\n", k, p, i, f, (i/p-1)*100, (f/p-1)*100}'
done
