#!/bin/sh
# Generates the two benchmark files and times the reader on them.
# usage: bench/usd/run.sh [BUILD_DIR] [DATA_DIR]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-usd-bench}
data=${2:-/tmp/portalis-usd-bench}
mkdir -p "$build" "$data"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target portalis_usd >/dev/null
cc -std=c11 -O2 -D_GNU_SOURCE -I"$root/include" "$root/bench/usd/usd_bench.c" "$build/lib/libportalis_usd.a" -lm -o "$build/usd_bench"
[ -f "$data/points.usda" ] || "$build/usd_bench" gen-points "$data/points.usda"
[ -f "$data/xforms.usda" ] || "$build/usd_bench" gen-xforms "$data/xforms.usda"
for f in points xforms; do
    cat "$data/$f.usda" > /dev/null   # warm the page cache
    for i in 1 2 3; do "$build/usd_bench" read "$data/$f.usda"; done
    "$build/usd_bench" stage "$data/$f.usda"
done
