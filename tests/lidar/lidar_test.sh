#!/bin/sh
# lidar_test.sh PORTALIS reference SCENE PYTHON3 LIDAR_FILTER_PY
# lidar_test.sh PORTALIS agree SCENE_C SCENE_RUST
# lidar_test.sh PORTALIS reopen SCENE
# lidar_test.sh PORTALIS filter SCENE PYTHON3 LIDAR_FILTER_PY
# Output layers go next to the scenes (the build tree). The scenes raise
# their modules' per-call budget far above the work (wasm:callBudgetMs =
# 60000): no result depends on time.
set -eu
portalis=$1 mode=$2
shift 2
. "$(dirname "$0")/../lib/run_scene.sh"
case $mode in
reference)
    scene=$1 out=${1%.usda}.out.usda
    run "$scene" "$out"
    exec "$2" "$3" check "$out" "$scene" ;;
filter)
    scene=$1 out=${1%.usda}.out.usda
    run "$scene" "$out"
    exec "$2" "$3" check-filter "$out" "$scene" ;;
agree)
    a=${1%.usda}.out.usda b=${2%.usda}.out.usda
    run "$1" "$a"
    run "$2" "$b"
    # the layers differ only in the sublayer's name
    grep -v '\.usda@$' "$a" > "$a.body"
    grep -v '\.usda@$' "$b" > "$b.body"
    # the raw cloud (Lidar) and the filtered one (Filter)
    [ "$(grep -c 'double3\[\] outputs:points.timeSamples' "$a.body")" -eq 2 ] ||
        { echo "FAIL: $a does not hold both clouds"; exit 1; }
    cmp "$a.body" "$b.body" || { echo "FAIL: C and Rust output layers differ"; exit 1; }
    echo "C and Rust modules: $(wc -c < "$a") byte layers identical (raw and filtered clouds, 2 frames)" ;;
reopen)
    out=${1%.usda}.out.usda
    run "$1" "$out" --frames 2
    "$portalis" usd cat "$out" > "$out.cat" || { echo "FAIL: usd cat $out"; exit 1; }
    "$portalis" usd tree -a "$out" > "$out.tree" || { echo "FAIL: usd tree $out"; exit 1; }
    grep -q 'FilteredCloud' "$out.tree" || { echo "FAIL: no FilteredCloud in the tree:"; cat "$out.tree"; exit 1; }
    grep -q 'point3f\[\] points.timeSamples' "$out.cat" || { echo "FAIL: no points samples"; exit 1; }
    # by default only the filtered cloud is recorded, once
    [ "$(grep -c 'timeSamples' "$out.cat")" -eq 2 ] ||
        { echo "FAIL: expected FilteredCloud points and scanInfo only:"; grep timeSamples "$out.cat"; exit 1; }
    # the canonical rewrite reads back to the same bytes
    "$portalis" usd cat "$out.cat" > "$out.cat2"
    cmp "$out.cat" "$out.cat2" || { echo "FAIL: rewriting the output layer changes it"; exit 1; }
    echo "output layer $(wc -c < "$out") bytes re-opens (2 frames)" ;;
*) echo "lidar_test.sh: unknown mode $mode"; exit 2 ;;
esac
