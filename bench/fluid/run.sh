#!/bin/bash
# Fluid benchmark (demos/fluid/README.md, Figures): frames per second of the
# 64^3 demo scene's solver (bench/fluid/scene.h = build/demos/fluid/fluid.usda)
#   1. the same C compiled natively (gcc -O2 -ffp-contract=off, fluid_native)
#   2. the solver as one wasm export (bench_module.c) on each engine tier:
#      portalis run --tier interp|native --invoke fluid_bench
#      and, for gcc and the native tier, the steady state: (CPU of FRAMES+1
#      frames - CPU of 1) / FRAMES, min and median of RUNS runs
#      (bench/per_frame.sh: this host's speed has fast and slow phases)
#   3. the demo scene through the host: portalis run fluid.usda --tier native
#      (FRAMES frames, after a 1-frame run that compiles and caches the
#      module) and --tier interp (INTERP_FRAMES frames); the host's CPU for
#      loading, recording and writing the layer is included
# Times are CPU time (user + system), so that the load of the shared machine
# does not count; every tier must end with the native mass (same bits).
# usage: [RUNS=5] bash bench/fluid/run.sh [BUILD_DIR] [FRAMES] [INTERP_FRAMES]   (default build, 60, 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
frames=${2:-60}
iframes=${3:-3}
runs=${RUNS:-5}
# shellcheck source=bench/per_frame.sh
. "$root/bench/per_frame.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
d=$root/demos/fluid/c
src=("$d/fluid_core.c" "$d/fluid_pressure.c" "$d/fluid_setup.c" "$d/fluid_periodic.c" "$d/fluid_vcycle.c")
gcc -O2 -ffp-contract=off -I"$d" -o "$work/fluid_native" "$root/bench/fluid/fluid_native.c" "${src[@]}" -lm
clang --target=wasm32-wasi -O2 -ffp-contract=off -msimd128 -mnontrapping-fptoint -mbulk-memory -nostartfiles -Wl,--no-entry -Wl,--strip-debug -I"$d" \
    -I"$root/bench/fluid" -o "$work/bench.wasm" "$root/bench/fluid/bench_module.c" "${src[@]}" -lm

fps() { # LABEL FRAMES TIMELOG
    awk -v l="$1" -v n="$2" '{t = $1 + $2; printf "%-44s %4d frames  %8.1f ms CPU/frame  %7.2f FPS\n", l, n, 1000 * t / n, n / t}' "$3"
}
echo "== 64^3 smoke, demo scene parameters (CPU time; load average $(cut -d' ' -f1 /proc/loadavg))"
/usr/bin/time -f "%U %S" -o "$work/t" "$work/fluid_native" "$frames" > "$work/native.out"
fps "native C (gcc -O2, fluid_native)" "$frames" "$work/t"
want=$(awk '{print $NF}' "$work/native.out")
"$build/bin/portalis" run --tier native --invoke fluid_bench "$work/bench.wasm" 1 > /dev/null # compile, cache
for tier in native interp; do
    n=$frames
    [ $tier = interp ] && n=$iframes
    /usr/bin/time -f "%U %S" -o "$work/t" "$build/bin/portalis" run --tier $tier --invoke fluid_bench \
        "$work/bench.wasm" "$n" > "$work/$tier.out" 2>&1 || { echo "tier $tier failed:"; cat "$work/$tier.out"; exit 1; }
    fps "portalis --tier $tier (fluid_bench)" "$n" "$work/t"
done
"$work/fluid_native" "$iframes" > "$work/native_i.out"
for tier in native interp; do
    n=$frames; ref=$want
    [ $tier = interp ] && { n=$iframes; ref=$(awk '{print $NF}' "$work/native_i.out"); }
    got=$(printf '%.9g' "$(cat "$work/$tier.out")")
    [ "$got" = "$ref" ] || { echo "MISMATCH: tier $tier mass $got, native $ref"; exit 1; }
done
echo "masses agree with the native run (${want} after $frames frames)"
echo "== steady state: building the solver left out, RUNS=$runs runs each (bench/per_frame.sh)"
per_frame "native C (gcc -O2, fluid_native)" "$runs" $((frames + 1)) "$work/fluid_native"
per_frame "portalis --tier native (fluid_bench)" "$runs" $((frames + 1)) "$build/bin/portalis" run --tier native \
    --invoke fluid_bench "$work/bench.wasm"
echo "== the demo scene through the host: portalis run fluid.usda --tier T"
scene=$build/demos/fluid/fluid.usda
"$build/bin/portalis" run "$scene" --tier native --frames 1 -o "$work/out.usda" > /dev/null 2>&1 # compile, cache
for tier in native interp; do
    n=$frames
    [ $tier = interp ] && n=$iframes
    /usr/bin/time -f "%U %S" -o "$work/t" "$build/bin/portalis" run "$scene" --tier $tier --frames "$n" \
        -o "$work/out.usda" > "$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
    fps "portalis run fluid.usda --tier $tier (whole run)" "$n" "$work/t"
    grep -E "^  /World/Fluid " "$work/run.log"
done
