#!/bin/sh
# warehouse_test.sh PORTALIS FLEET_CHECK DEMO_SRC DEMO_BUILD MODE ARGS...
#   check MAP ROBOTS STEPS      fleet_check's independent checks (seed 1)
#   trace PYTHON3 STEPS         native C core = python/fleet.py, step by step;
#                               and fleet.py's own checks (Dijkstra) on 1,000 steps
#   compare PYTHON3 SCENE       the scene's recorded fleet (200 frames) = fleet.py's
#   agree                       the C and Rust scenes record identical layers,
#                               which re-open with the usd reader
#   errors                      bad maps: messages with the line and the prim
#   scenes PYTHON3              the checked-in scenes are fleet.py scene's output
# Output layers go to the build tree. The per-call budget is raised far above
# the work (minutes): no result depends on time.
set -eu
portalis=$1 check=$2 src=$3 build=$4 mode=$5
shift 5
small=$src/maps/warehouse-small.map
run_options="--budget-ms 600000"
. "$(dirname "$0")/../lib/run_scene.sh"
case $mode in
check)
    exec "$check" check "$1" "$2" "$3" 1 ;;
trace)
    tmp=$build/trace
    "$check" trace "$small" 20 "$2" 1 > "$tmp.c"
    "$1" "$src/python/fleet.py" trace "$small" --robots 20 --steps "$2" --seed 1 > "$tmp.py"
    [ "$(wc -l < "$tmp.c")" -eq "$2" ] || { echo "FAIL: $2 steps expected"; exit 1; }
    cmp "$tmp.c" "$tmp.py" || { echo "FAIL: the C core and python/fleet.py differ"; exit 1; }
    echo "C core = python/fleet.py: 20 robots, $2 steps, $(tail -1 "$tmp.c" | cut -d' ' -f2) tasks completed"
    exec "$1" "$src/python/fleet.py" check "$small" --robots 20 --steps 1000 --seed 1 ;;
compare)
    scene=$build/$2 out=$build/${2%.usda}.check.usda
    run "$scene" "$out" --frames 200
    exec "$1" "$src/python/fleet.py" compare "$out" "$scene" ;;
agree)
    a=$build/warehouse.agree.usda b=$build/warehouse_rust.agree.usda
    run "$build/warehouse.usda" "$a" --frames 200
    run "$build/warehouse_rust.usda" "$b" --frames 200
    grep -v '\.usda@$' "$a" > "$a.body"
    grep -v '\.usda@$' "$b" > "$b.body"
    for want in 'double3\[\] outputs:positions.timeSamples' 'matrix4d xformOp:transform.timeSamples'; do
        [ "$(grep -c "$want" "$a.body")" -ge 1 ] || { echo "FAIL: no $want in $a"; exit 1; }
    done
    cmp "$a.body" "$b.body" || { echo "FAIL: C and Rust output layers differ"; exit 1; }
    # the layer re-opens with the usd reader, with every robot prim
    "$portalis" usd tree "$a" > "$a.tree" || { echo "FAIL: usd tree $a"; exit 1; }
    grep -q 'Robot_019' "$a.tree" || { echo "FAIL: no Robot_019 in the tree:"; cat "$a.tree"; exit 1; }
    echo "C and Rust modules: $(wc -c < "$a") byte layers identical (200 frames)" ;;
errors)
    bad=$build/bad.map
    sed 's/^height 30$/height 31/' "$small" > "$bad"
    if "$check" check "$bad" 20 10 1 > "$bad.log" 2>&1; then echo "FAIL: a short map was accepted"; exit 1; fi
    grep -q "line 35: map row 30 shorter than width 54" "$bad.log" || { echo "FAIL: message:"; cat "$bad.log"; exit 1; }
    scene=$build/bad.usda
    sed 's/^height 30$/height 31/' "$build/warehouse.usda" > "$scene"
    rc=0
    "$portalis" run "$scene" --frames 2 -o "$build/bad.out.usda" > "$scene.log" 2>&1 || rc=$?
    [ $rc = 3 ] || { echo "FAIL: exit $rc, 3 expected"; cat "$scene.log"; exit 1; }
    grep -q "prim /World/Fleet: log: fleet:map: line 35: map row 30 shorter than width 54" "$scene.log" ||
        { echo "FAIL: message:"; cat "$scene.log"; exit 1; }
    sed 's/^type octile$/kind octile/' "$small" > "$bad"
    if "$check" check "$bad" 20 10 1 > "$bad.log" 2>&1; then echo "FAIL: a bad header was accepted"; exit 1; fi
    grep -q "line 1: expected 'type T', 'height H', 'width W' or 'map'" "$bad.log" || { cat "$bad.log"; exit 1; }
    echo "bad maps: errors name the line (and the prim in a scene)" ;;
scenes)
    py="$1 $src/python/fleet.py scene"
    $py "$small" --robots 20 --module fleet_c.wasm --robot-prims fleet_c.wasm --frames 300 -o "$build/s1.usda"
    $py "$small" --robots 20 --module fleet_rust.wasm --robot-prims fleet_rust.wasm --frames 300 -o "$build/s2.usda"
    $py "$src/maps/warehouse-large.map" --robots 200 --module fleet_c.wasm --frames 300 -o "$build/s3.usda"
    cmp "$build/s1.usda" "$src/warehouse.usda" && cmp "$build/s2.usda" "$src/warehouse_rust.usda" &&
        cmp "$build/s3.usda" "$src/warehouse_large.usda" ||
        { echo "FAIL: regenerate the scenes (demos/warehouse/README.md, Scenes)"; exit 1; }
    echo "scenes current" ;;
*) echo "warehouse_test.sh: unknown mode $mode"; exit 2 ;;
esac
