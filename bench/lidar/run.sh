#!/bin/bash
# LiDAR benchmark (demos/lidar/README.md): generation + filtering of 102,400
# rays a frame
#   1. `portalis run` of the demo scene on the interpreter (module means) and
#      on the native tier (CPU time of the whole run; same output layer);
#      the pipeline as one export on both tiers, and its wasm instructions
#      a frame (the interpreter's fuel: independent of the machine's load)
#      and the export's steady state on both tiers: (CPU of FRAMES+1 frames
#      - CPU of 1) / FRAMES, min and median of RUNS runs (bench/per_frame.sh)
#   2. the same C code natively (gcc -O2 -ffp-contract=off), which also dumps
#      the raw clouds
#   3. PCL (CropBox + VoxelGrid + StatisticalOutlierRemoval) natively on
#      those clouds, and how many voxels its outlier removal keeps or drops
#      as ours does (demos/lidar/README.md, where we differ from PCL);
#      libpcl-dev (large) is installed here on demand, never by
#      scripts/deps.sh or CI.
# usage: [RUNS=5] bash bench/lidar/run.sh [BUILD_DIR] [FRAMES]   (default build, 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
frames=${2:-10}
runs=${RUNS:-5}
# shellcheck source=bench/per_frame.sh
. "$root/bench/per_frame.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scene=$build/demos/lidar/lidar.usda
[ -f "$scene" ] || { echo "no $scene: build first (cmake --build $build)"; exit 1; }

if ! pkg-config --exists pcl_filters; then
    echo "installing libpcl-dev (PCL, for the native peer; about 1 GB with its dependencies)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpcl-dev > "$work/apt.log" 2>&1 ||
        { cat "$work/apt.log"; exit 1; }
fi

d=$root/demos/lidar/c
gcc -O2 -ffp-contract=off -I"$d" -o "$work/lidar_native" "$root/bench/lidar/lidar_native.c" "$d/lidar_scan.c" \
    "$d/lidar_filter.c" -lm
# shellcheck disable=SC2046
g++ -O2 -std=c++17 -o "$work/pcl_peer" "$root/bench/lidar/pcl_peer.cpp" $(pkg-config --cflags --libs pcl_filters eigen3) \
    2> "$work/gxx.log" || { cat "$work/gxx.log"; exit 1; }

echo "== interpreter: portalis run $scene --frames $frames"
/usr/bin/time -f "cpu %U %S" -o "$work/time.log" \
    "$build/bin/portalis" run "$scene" --frames "$frames" -o "$work/out.usda" > "$work/run.log" 2>&1 ||
    { cat "$work/run.log"; exit 1; }
grep -E "^  (frame |/World/)" "$work/run.log"
awk '/^  \/World\/Lidar / {s=$2} /^  \/World\/Filter / {f=$2} END {printf "interpreter: scan %.1f ms/frame, filter %.1f ms/frame, total %.1f ms/frame wall (target <= 33)\n", s/1000, f/1000, (s+f)/1000}' "$work/run.log"
awk -v n="$frames" '{printf "interpreter: whole run (load, %d frames, save) %.1f ms CPU/frame\n", n, 1000*($2+$3)/n}' "$work/time.log"
echo "output layer: $(stat -c %s "$work/out.usda") bytes for $frames frames"
echo "== the scene on the native tier: portalis run $scene --tier native --frames $frames"
"$build/bin/portalis" run "$scene" --tier native --frames 1 -o "$work/out_n.usda" > /dev/null 2>&1 || true # compile, cache
/usr/bin/time -f "cpu %U %S" -o "$work/time_n.log" \
    "$build/bin/portalis" run "$scene" --tier native --frames "$frames" -o "$work/out_n.usda" > "$work/run_n.log" 2>&1 ||
    { cat "$work/run_n.log"; exit 1; }
grep -E "^  /World/" "$work/run_n.log"
awk -v n="$frames" '{printf "native tier: whole run (load, %d frames, save) %.1f ms CPU/frame (loading and saving included)\n", n, 1000*($2+$3)/n}' "$work/time_n.log"
cmp -s <(grep -v '\.usda@$' "$work/out.usda") <(grep -v '\.usda@$' "$work/out_n.usda") ||
    { echo "the native tier's output layer differs from the interpreter's"; exit 1; }
echo "native tier output layer identical to the interpreter's"

echo "== engine tiers: the whole pipeline as one wasm export (bench_module.c), portalis run --tier T"
clang --target=wasm32-wasi -O2 -ffp-contract=off -nostartfiles -Wl,--no-entry -Wl,--strip-all -I"$d" \
    -o "$work/bench.wasm" "$root/bench/lidar/bench_module.c" "$d/lidar_scan.c" "$d/lidar_filter.c" -lm
"$build/bin/portalis" run --tier native --invoke lidar_bench "$work/bench.wasm" 1 > /dev/null 2>&1 || true # compile, cache
for tier in interp native; do
    /usr/bin/time -f "%U %S" -o "$work/tier.log" "$build/bin/portalis" run --tier $tier --invoke lidar_bench \
        "$work/bench.wasm" "$frames" > "$work/tier.out" 2>&1 || { echo "tier $tier: failed"; cat "$work/tier.out"; continue; }
    awk -v n="$frames" -v t=$tier -v pts="$(cat "$work/tier.out")" \
        '{printf "%s tier: scan + filter %.1f ms CPU/frame (%d frames, %s filtered points in all)\n", t, 1000*($1+$2)/n, n, pts}' "$work/tier.log"
done
echo "== the same, steady state: start-up left out, RUNS=$runs runs each (bench/per_frame.sh)"
for tier in interp native; do
    per_frame "$tier tier: scan + filter" "$runs" $((frames + 1)) "$build/bin/portalis" run --tier $tier \
        --invoke lidar_bench "$work/bench.wasm"
done
# wasm instructions of one frame (frame 0), load-independent: the least
# --fuel that completes lidar_bench(1), by bisection to 0.1 %
lo=1000 hi=4000000000
while [ $((hi - lo)) -gt $((hi / 1000)) ]; do
    mid=$(((lo + hi) / 2))
    if "$build/bin/portalis" run --fuel $mid --invoke lidar_bench "$work/bench.wasm" 1 > /dev/null 2>&1; then
        hi=$mid
    else
        lo=$mid
    fi
done
echo "wasm instructions: scan + filter $((hi / 1000000)).$((hi / 100000 % 10)) M a frame (fuel of lidar_bench(1), +-0.1 %)"
echo "== native C (the modules' source, gcc -O2)"
"$work/lidar_native" "$frames" "$work/cloud" | tail -1
"$work/lidar_native" "$frames" | tail -1
echo "== PCL $(pkg-config --modversion pcl_filters) on the same clouds"
"$work/pcl_peer" "$work/cloud" "$frames"
