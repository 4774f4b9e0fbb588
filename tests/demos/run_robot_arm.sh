#!/bin/sh
# Runs the robot arm scene in one control mode with `portalis run` and checks
# the output layer (check_robot_arm.c):
#   run_robot_arm.sh PORTALIS CHECK DEMO_DIR WORK_DIR position|rust|velocity|torque
# velocity, torque and joints run a layer written here that sublayers the
# staged scene and overrides the prim's wasm:controlMode (torque: a static
# target away from the home pose; joints: wasm:jointTargets in velocity
# mode); rust runs the Rust scene and compares it with the C run.
set -eu
portalis=$1 check=$2 demo=$3 work=$4 mode=$5
mkdir -p "$work"
# A wall-clock budget far above the work (tens of us a step) and a fuel cap as
# the deterministic hang guard: a loaded machine must not fail the test.
run() {  # run SCENE OUT
    rm -f "$2"
    "$portalis" run "$1" -o "$2" --frames 600 --budget-ms 60000 --fuel 100000000 > "$2.log" 2>&1 || {
        echo "FAIL: portalis run $1 exited $?"; cat "$2.log"; exit 1; }
    if grep -q "log:\|error\|trap" "$2.log"; then echo "FAIL: problems reported:"; cat "$2.log"; exit 1; fi
}
override() {  # override NAME BODY
    cat > "$work/$1.usda" <<EOT
#usda 1.0
(
    subLayers = [@$demo/robot_arm.usda@]
    startTimeCode = 0
    endTimeCode = 599
    timeCodesPerSecond = 60
    framesPerSecond = 60
)

over "World"
{
$2
}
EOT
}
case $mode in
position)
    run "$demo/robot_arm.usda" "$work/position.out.usda"
    exec "$check" position "$work/position.out.usda" ;;
rust)
    run "$demo/robot_arm.usda" "$work/c.out.usda"
    run "$demo/robot_arm_rust.usda" "$work/rust.out.usda"
    "$check" position "$work/rust.out.usda"
    exec "$check" same "$work/c.out.usda" "$work/rust.out.usda" ;;
velocity)
    override velocity '    over "Controller" { uniform token wasm:controlMode = "velocity" }'
    run "$work/velocity.usda" "$work/velocity.out.usda"
    exec "$check" velocity "$work/velocity.out.usda" ;;
torque)
    override torque '    over "Controller" { uniform token wasm:controlMode = "torque" }
    over "TargetPath" { double inputs:cx = -0.3
        double inputs:cy = -0.35
        double inputs:cz = 0.6
        double inputs:ay = 0
        double inputs:az = 0 }'
    run "$work/torque.usda" "$work/torque.out.usda"
    exec "$check" torque "$work/torque.out.usda" ;;
joints|joints_rust)
    scene=robot_arm; [ "$mode" = joints ] || scene=robot_arm_rust
    cat > "$work/$mode.usda" <<EOT
#usda 1.0
(
    subLayers = [@$demo/$scene.usda@]
    startTimeCode = 0
    endTimeCode = 599
    timeCodesPerSecond = 60
    framesPerSecond = 60
)

over "World"
{
    over "Controller"
    {
        uniform token wasm:controlMode = "velocity"
        float[] wasm:jointTargets = [0.5, -1.25, 1.5, -0.25, 0.75, 0.125]
    }
}
EOT
    run "$work/$mode.usda" "$work/$mode.out.usda"
    exec "$check" joints "$work/$mode.out.usda" ;;
badmode)  # a token the module does not know: a logged message, then position control
    override badmode '    over "Controller" { uniform token wasm:controlMode = "speed" }'
    rm -f "$work/badmode.out.usda"
    "$portalis" run "$work/badmode.usda" -o "$work/badmode.out.usda" --frames 600 --budget-ms 60000 \
        --fuel 100000000 > "$work/badmode.log" 2>&1 || { echo "FAIL: exit $?"; cat "$work/badmode.log"; exit 1; }
    grep -q "prim /World/Controller: log: wasm:controlMode is not position, velocity or torque; using position" \
        "$work/badmode.log" || { echo "FAIL: no message for wasm:controlMode = speed:"; cat "$work/badmode.log"; exit 1; }
    exec "$check" position "$work/badmode.out.usda" ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
