#!/bin/sh
# Generates the two benchmark files and times reading them as a layer and
# opening them as a composed stage (Release build, each run in its own process).
# usage: bench/usd/run.sh [BUILD_DIR] [DATA_DIR]
#
# Which figure answers which target of issue 4 ("Done when"):
#   points.usda (40.6 MB): `stage` lines, MB/s      -> target >= 250 MB/s
#                          `stage` lines, peak RSS  -> target <= 1.5x file
#   xforms.usda (22.8 MB): `stage` lines, seconds   -> target <= 0.3 s
#                          `stage` lines, peak RSS  -> target <= 1.5x file
# `stage` = pusd_stage_open + a counting pusd_stage_traverse (what users do).
# `read`  = pusd_layer_open only (the reader alone; shown for comparison).
#   points.usda:         `write` lines, MB/s      -> target >= 200 MB/s (issue 15)
#   xforms.usda:         `write` lines, seconds   -> target <= 0.3 s (issue 15)
#   both:                `write` lines, peak RSS  -> target <= 1.5x file (reading included)
# `write` = pusd_layer_open (untimed) then pusd_layer_save to a file in DATA_DIR
#   (the writer alone, streamed, atomic rename and fsync included).
# `stage-walk` = stage + a traversal whose callback reads every prim, so every
#   prim handle is composed: not a target, shown so the cost of composed prim
#   handles is visible.
# Times are wall clock and, in parentheses, CPU time (user + system) of the
# process; on a machine shared with other jobs the CPU figure is the stable one.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-usd-bench}
data=${2:-/tmp/portalis-usd-bench}
mkdir -p "$build" "$data"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target usd_bench >/dev/null
[ -f "$data/points.usda" ] || "$build/bin/usd_bench" gen-points "$data/points.usda"
[ -f "$data/xforms.usda" ] || "$build/bin/usd_bench" gen-xforms "$data/xforms.usda"
for f in points xforms; do
    cat "$data/$f.usda" > /dev/null   # warm the page cache
    echo "== $f.usda"
    for i in 1 2 3; do "$build/bin/usd_bench" read "$data/$f.usda"; done
    for i in 1 2 3; do "$build/bin/usd_bench" stage "$data/$f.usda"; done
    "$build/bin/usd_bench" stage-walk "$data/$f.usda"
    for i in 1 2 3; do "$build/bin/usd_bench" write "$data/$f.usda" "$data/$f.out.usda"; done
done
echo "targets: points stage >= 250 MB/s, write >= 200 MB/s, <= 1.5x file; xforms stage and write <= 0.3 s, <= 1.5x file"
