#!/bin/sh
# Runs an example scene with `portalis run` and checks the recorded samples:
#   run_example.sh PORTALIS CHECK_SAMPLES KIND SCENE.usda [EXPECTED_LOG...]
# The output layer goes next to the scene (in the build tree). Module log
# lines ("prim P: log: ...") fail the test unless each EXPECTED_LOG text
# is among them; then every EXPECTED_LOG must appear.
set -eu
portalis=$1 check=$2 kind=$3 scene=$4
shift 4
out=${scene%.usda}.out.usda log=${scene%.usda}.log
rm -f "$out"
"$portalis" run "$scene" -o "$out" > "$log" 2>&1 || {
    echo "FAIL: portalis run $scene exited $?"; cat "$log"; exit 1; }
if [ $# -eq 0 ] && grep -q "log:" "$log"; then
    echo "FAIL: the module logged a problem:"; grep "log:" "$log"; exit 1
fi
for want in "$@"; do
    grep -q "log: $want" "$log" || { echo "FAIL: no log line '$want':"; cat "$log"; exit 1; }
done
exec "$check" "$kind" "$out"
