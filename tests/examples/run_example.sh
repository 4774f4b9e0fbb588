#!/bin/sh
# Runs an example scene with `portalis run` and checks the recorded samples:
#   run_example.sh PORTALIS CHECK_SAMPLES KIND SCENE.usda
# The output layer goes next to the scene (in the build tree).
set -eu
portalis=$1 check=$2 kind=$3 scene=$4
out=${scene%.usda}.out.usda
rm -f "$out"
"$portalis" run "$scene" -o "$out" > "${scene%.usda}.log" 2>&1 || {
    echo "FAIL: portalis run $scene exited $?"; cat "${scene%.usda}.log"; exit 1; }
if grep -q "log:" "${scene%.usda}.log"; then
    echo "FAIL: the module logged a problem:"; grep "log:" "${scene%.usda}.log"; exit 1
fi
exec "$check" "$kind" "$out"
