#!/bin/sh
# fluid_test.sh PORTALIS reference SCENE PYTHON3 FLUID_PY   16^3 density + tracers = NumPy reference (1e-9)
# fluid_test.sh PORTALIS mass SCENE PYTHON3 FLUID_PY        mass conserved (closed box, no source)
# fluid_test.sh PORTALIS outflow SCENE PYTHON3 FLUID_PY     open walls: mass never grows, half of it leaves
# fluid_test.sh PORTALIS taylor-green SCENE PYTHON3 FLUID_PY  kinetic energy decay within 1%
# fluid_test.sh PORTALIS agree SCENE_C SCENE_RUST           C and Rust output layers identical
# fluid_test.sh PORTALIS export FLUID_EXPORT DEMO_SCENE VOLUME_SCENE
#                                 PNGs of 1 demo frame, OpenVDB volumes of the volume scene
# fluid_test.sh PORTALIS volume FLUID_EXPORT VOLUME_SCENE FRAMES [options]
#                                 the 64^3 volume scene: one OpenVDB volume a frame whose
#                                 voxel integral equals the module's mass (outputs:stats)
# fluid_test.sh PORTALIS errors PERIODIC_SCENE   a bad wasm:boundaryMode and an odd periodic grid:
#                                 the run fails and names the prim and what to change
# Output layers go next to the scenes (the build tree). The per-call budget
# is a hang guard far above the work (minutes): no result depends on time.
set -eu
portalis=$1 mode=$2
shift 2
run_options="--budget-ms 600000"
. "$(dirname "$0")/../lib/run_scene.sh"
case $mode in
reference | mass | outflow | taylor-green)
    scene=$1 out=${1%.usda}.out.usda
    run "$scene" "$out"
    py=$2
    case $mode in reference) what=check ;; *) what=$mode ;; esac
    exec "$py" "$3" "$what" "$scene" "$out" ;;
agree)
    a=${1%.usda}.agree.usda b=${2%.usda}.agree.usda
    run "$1" "$a"
    run "$2" "$b"
    # the layers differ only in the sublayer's name
    grep -v '\.usda@$' "$a" > "$a.body"
    grep -v '\.usda@$' "$b" > "$b.body"
    for want in 'double\[\] outputs:density.timeSamples' 'double3\[\] outputs:tracers.timeSamples' \
        'double4 outputs:stats.timeSamples'; do
        [ "$(grep -c "$want" "$a.body")" -ge 1 ] || { echo "FAIL: no $want in $a"; exit 1; }
    done
    cmp "$a.body" "$b.body" || { echo "FAIL: C and Rust output layers differ"; exit 1; }
    echo "C and Rust modules: $(wc -c < "$a") byte layers identical ($(grep -c '^            [0-9]*: (' "$a.body") stats samples)" ;;
export)
    exporter=$1 demo=$2 vol=$3
    out=${demo%.usda}.export.usda dir=${demo%.usda}.export
    run "$demo" "$out" --frames 1
    rm -rf "$dir"
    "$exporter" "$out" "$dir"
    for f in slice_0000.png mip_0000.png; do
        [ "$(head -c 8 "$dir/$f" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || { echo "FAIL: $dir/$f is no PNG"; exit 1; }
    done
    out=${vol%.usda}.export.usda dir=${vol%.usda}.export
    run "$vol" "$out"
    rm -rf "$dir"
    "$exporter" "$out" "$dir"
    n=$(ls "$dir"/density_*.vdb | wc -l)
    [ "$n" = "$(grep -c '^            [0-9]*: (' "$out")" ] || { echo "FAIL: $n volumes"; exit 1; }
    "$portalis" usd tree -a "$dir/fluid_volume.usda" > "$dir/tree" || { echo "FAIL: usd tree fluid_volume.usda"; exit 1; }
    grep -q 'OpenVDBAsset' "$dir/tree" && grep -q 'Volume' "$dir/tree" || { echo "FAIL: no Volume/OpenVDBAsset:"; cat "$dir/tree"; exit 1; }
    echo "fluid_export: PNG slice and projection of a 64^3 frame, $n OpenVDB volumes (read back) and their UsdVolVolume layer" ;;
volume)
    exporter=$1 vol=$2 frames=$3
    shift 3
    out=${vol%.usda}.volume.usda dir=${vol%.usda}.volume
    run "$vol" "$out" --frames "$frames" "$@"
    rm -rf "$dir"
    "$exporter" "$out" "$dir" > "$dir.log" || { echo "FAIL: fluid_export"; cat "$dir.log"; exit 1; }
    # mass per time from the stats samples ("T: (div, mass, iterations, energy),"), then
    # each volume's "time T, N active voxels, integral M": the float voxels' sum within 1e-6
    awk -v want="$frames" -v scene="$vol" '
        FNR == NR { if ($0 ~ /outputs:stats.timeSamples/) s = 1; else if (s && $0 ~ /^ *}/) s = 0
                    else if (s) { t = $1; sub(/:$/, "", t); m = $3; sub(/,$/, "", m); mass[t + 0] = m } next }
        /\.vdb: time/ { t = $3; sub(/,$/, "", t); n++
                        d = $NF - mass[t + 0]; d = d < 0 ? -d : d
                        if (!($4 > 0) || !(t + 0 in mass) || !(d <= 1e-6 * mass[t + 0])) {
                            print "FAIL: " $0 " (module mass " mass[t + 0] ")"; bad = 1 }
                        worst = d / mass[t + 0] > worst ? d / mass[t + 0] : worst }
        END { if (n != want) { print "FAIL: " n " volumes for " want " frames"; exit 1 }
              if (bad) exit 1
              printf "%d OpenVDB volumes of %s: voxel integrals within %.3g of the module mass (bound 1e-6)\n",
                     n, scene, worst }' "$out" "$dir.log"
    "$portalis" usd tree -a "$dir/fluid_volume.usda" > "$dir/tree" || { echo "FAIL: usd tree fluid_volume.usda"; exit 1; }
    [ "$(grep -c '\.vdb' "$dir/fluid_volume.usda")" = "$frames" ] || { echo "FAIL: fluid_volume.usda:"; cat "$dir/fluid_volume.usda"; exit 1; }
    echo "UsdVolVolume layer $dir/fluid_volume.usda: $frames OpenVDBAsset file samples" ;;
errors)
    # variants of the periodic check scene next to it: the messages a user sees on stderr
    scene=$1 base=${1%.usda}
    expect() { # SCENE_SUFFIX SED_EXPRESSION MESSAGE
        bad=$base.$1.usda
        sed "$2" "$scene" > "$bad"
        ! cmp -s "$scene" "$bad" || { echo "FAIL: '$2' changed nothing in $scene"; exit 1; }
        rc=0
        "$portalis" run "$bad" -o "$bad.out.usda" --frames 1 > "$bad.log" 2>&1 || rc=$?
        [ "$rc" = 3 ] || { echo "FAIL: $bad: exit status $rc, not 3 (a module failed)"; cat "$bad.log"; exit 1; }
        grep -qxF "portalis run: prim /World/Fluid: log: $3" "$bad.log" ||
            { echo "FAIL: $bad: no message '$3':"; cat "$bad.log"; exit 1; }
        echo "$bad: $3"
    }
    expect mode 's/wasm:boundaryMode = "periodic"/wasm:boundaryMode = "wrap"/' \
        'wasm:boundaryMode: "closed", "open" or "periodic", not wrap'
    expect odd 's/wasm:gridResolution = (16, 16, 16)/wasm:gridResolution = (16, 15, 16)/' \
        'cannot create the solver: a periodic grid needs an even number of cells on every axis' ;;
*) echo "fluid_test.sh: unknown mode $mode"; exit 2 ;;
esac
