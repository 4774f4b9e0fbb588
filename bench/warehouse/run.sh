#!/bin/bash
# Warehouse fleet benchmark (demos/warehouse/README.md, "Figures"): time per
# frame of the fleet module (one fleet_step call a frame, all robots move
# one step) on the interpreter and the native tier, with the C and Rust
# modules, against the same C compiled natively (gcc -O2), on
#   - the default map: 54 x 30, 1,060 waypoints, 20 robots
#     (target: <= 1 ms a frame on the interpreter; specification < 16 ms)
#   - the large map: 143 x 122, 10,246 waypoints, 200 robots
#     (target: <= 16 ms a frame on the native tier)
# then the demo scenes through `portalis run` (the whole frame: the fleet,
# the 20 robot prims, recording).
# usage: bash bench/warehouse/run.sh [BUILD_DIR] [FRAMES]   (default build, 2000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
frames=${2:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mods=$build/demos/warehouse/modules
maps=$root/demos/warehouse/maps
[ -x "$build/bin/warehouse_bench" ] && [ -f "$mods/fleet_c.wasm" ] || { echo "build first (cmake --build $build)"; exit 1; }
d=$root/demos/warehouse/c
gcc -O2 -std=c11 -I"$d" -I"$root/bench/warehouse" -o "$work/warehouse_native" "$root/bench/warehouse/warehouse_native.c" \
    "$d/fleet_core.c" "$d/fleet_map.c" "$d/fleet_assign.c" "$d/fleet_new.c"
# the native tier's compiled code is cached here (docs/aot.md)
export XDG_CACHE_HOME=$build/aot-cache
fail=0
compare() { # LOG...: every run's final positions hash must be the same
    local want
    want=$(grep -ho 'hash [0-9a-f]*' "$1")
    for f in "$@"; do
        [ "$(grep -ho 'hash [0-9a-f]*' "$f")" = "$want" ] || { echo "MISMATCH: $f"; fail=1; }
    done
    [ $fail = 0 ] && echo "  = identical final positions in all $# runs"
}
for case in "small 20 $frames" "large 200 $frames"; do
    set -- $case
    map=$maps/warehouse-$1.map
    echo "== $2 robots on $(basename "$map"), $3 frames"
    "$work/warehouse_native" "$map" "$2" "$3" | tee "$work/$1.native"
    logs=("$work/$1.native")
    for tier in interp native; do
        for lang in c rust; do
            "$build/bin/warehouse_bench" "$mods/fleet_$lang.wasm" "$map" "$2" "$3" $tier > "$work/$1.$tier.$lang"
            sed "1s/^/$lang module, /" "$work/$1.$tier.$lang"
            logs+=("$work/$1.$tier.$lang")
        done
    done
    compare "${logs[@]}"
done
echo "== the demo scene: portalis run build/demos/warehouse/warehouse.usda --frames 300 (interpreter)"
"$build/bin/portalis" run "$build/demos/warehouse/warehouse.usda" --frames 300 -o "$work/out.usda" > "$work/run.log"
grep -E "^  (frame |/World/Fleet |/World/Robots/Robot_000 |frame rate|peak)" "$work/run.log"
echo "output layer: $(stat -c %s "$work/out.usda") bytes for 300 frames"
echo "== 200 robots: portalis run build/demos/warehouse/warehouse_large.usda --frames 300 (interpreter)"
"$build/bin/portalis" run "$build/demos/warehouse/warehouse_large.usda" --frames 300 -o "$work/large.usda" > "$work/large.log"
grep -E "^  (frame |/World/Fleet |frame rate|peak)" "$work/large.log"
exit $fail
