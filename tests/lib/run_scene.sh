# Sourced by the demo test scripts (tests/{fluid,lidar,warehouse}/*_test.sh).
# run SCENE OUT [options]: `portalis run SCENE -o OUT` with the test's
# options; the log goes to OUT.log. Fails the test when the run fails or
# reports a diagnostic for a prim. Needs $portalis; $run_options (e.g. a
# per-call budget far above the work) is added to every run.
run() {
    scene=$1 out=$2
    shift 2
    rm -f "$out"
    # shellcheck disable=SC2086 # run_options holds several words
    "$portalis" run "$scene" -o "$out" ${run_options:-} "$@" > "$out.log" 2>&1 || {
        echo "FAIL: portalis run $scene exited $?"; cat "$out.log"; exit 1; }
    if grep -q "prim /" "$out.log"; then
        echo "FAIL: diagnostics from $scene:"; grep "prim /" "$out.log"; exit 1
    fi
}
