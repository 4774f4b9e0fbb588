#!/bin/sh
# portalis run SCENE: outputs never destroy inputs, checks before the run,
# range-checked options, report contents (targets, motion, diagnostics as
# escaped JSON), failed report writes fail the command.
#   scene_cli.sh PORTALIS BUILD_DIR MODULE_DIR  (BUILD_DIR/demos: the staged demos)
P=$1
SRC=$2
MODS=$3
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d" || exit 1
fail=0
# expect NAME RC REGEX CMD...: exit status RC and REGEX in stderr+stdout
expect() {
  name=$1 want=$2 re=$3
  shift 3
  timeout 60 "$@" >out.txt 2>err.txt
  rc=$?
  if [ "$rc" != "$want" ] || ! cat out.txt err.txt | grep -Eq -e "$re"; then
    echo "FAIL $name: rc=$rc (want $want)"; cat err.txt; head -5 out.txt; fail=1
  else
    echo "ok $name"
  fi
}
mkdir -p modules
cp "$MODS/clock.wasm" modules/clock.wasm
cat >scene.usda <<'USDA'
#usda 1.0
(
    endTimeCode = 9
    timeCodesPerSecond = 10
    upAxis = "Z"
)
def Xform "W"
{
    def WasmModule "Clock"
    {
        uniform asset wasm:path = @./modules/clock.wasm@
        uniform float wasm:updateRate = 0
        double outputs:y = 0
    }
}
USDA
sum=$(cksum <scene.usda)
wsum=$(cksum <modules/clock.wasm)
same() { [ "$(cksum <scene.usda)" = "$sum" ] && [ "$(cksum <modules/clock.wasm)" = "$wsum" ]; }

# data loss: outputs onto inputs are refused before running
expect out-is-scene 1 'refusing to write scene.usda: it is the scene' "$P" run scene.usda -o scene.usda
ln -s scene.usda link.usda
expect out-symlink 1 'refusing to write link.usda' "$P" run scene.usda -o link.usda
ln scene.usda hard.usda
expect out-hardlink 1 'refusing to write hard.usda' "$P" run scene.usda -o hard.usda
expect out-dotdot 1 'refusing to write' "$P" run scene.usda -o "../$(basename "$d")/scene.usda"
expect out-module 1 'it is the module .*clock.wasm of prim /W/Clock' "$P" run scene.usda -o modules/clock.wasm
expect report-module 1 'refusing to write' "$P" run scene.usda --report modules/clock.wasm
same || { echo "FAIL an input changed"; fail=1; }
[ -e scene.out.usda ] && { echo "FAIL an output was written"; fail=1; }
expect report-missing-dir 1 'report nodir/r.json: cannot create a file in its folder' "$P" run scene.usda --report nodir/r.json
[ -e scene.out.usda ] && { echo "FAIL report-missing-dir: the run went ahead"; fail=1; }
if [ -w /dev/full ]; then
  expect report-dev-full 1 "the report: cannot write '/dev/full'" "$P" run scene.usda --quiet --report /dev/full
fi
mkfifo out.fifo
expect out-fifo-no-reader 1 "cannot write 'out.fifo': it is a FIFO that no process is reading" "$P" run scene.usda --quiet -o out.fifo

# options and triggers
expect trigger-unknown 2 'no module prim /W/Nope' "$P" run scene.usda --trigger /W/Nope@3
expect trigger-negative 2 "bad value for --trigger: '-1'" "$P" run scene.usda --trigger /W/Clock@-1
expect frames-overflow 2 'bad value for --frames' "$P" run scene.usda --frames 99999999999999999999999
expect frames-negative 2 'bad value for --frames' "$P" run scene.usda --frames -3
expect fps-zero 2 'bad value for --fps' "$P" run scene.usda --fps 0
expect fps-nan 2 'bad value for --fps' "$P" run scene.usda --fps nan
expect threads-zero 2 'bad value for --threads' "$P" run scene.usda --threads 0
expect memory-zero 2 'bad value for --max-memory-mb' "$P" run scene.usda --max-memory-mb 0
expect budget-negative 2 'bad value for --budget-ms' "$P" run scene.usda --budget-ms -1
expect fuel-negative 2 'bad value for --fuel' "$P" run scene.usda --fuel -5
expect target-bad 2 'bad value for --target' "$P" run scene.usda --target speed=3

# the scene's time settings: 10 frames at 10 Hz
expect scene-time 0 '10 frames at 10 Hz' "$P" run scene.usda
# no targets: figures only
grep -q '✓\|✗' out.txt && { echo "FAIL targets printed without any"; fail=1; }
expect target-option 0 'target <= 1e\+09 ✓' "$P" run scene.usda --target frame_p99_us=1e9
sed 's/    upAxis = "Z"/    upAxis = "Z"\n    customLayerData = {\n        dictionary portalis = {\n            double targetLoadMs = 1e9\n            double targetFps = 1e15\n        }\n    }/' scene.usda >targets.usda
expect target-scene 0 'load time .*target <= 1e\+09 ✓' "$P" run targets.usda
grep -q 'target >= 1e+15 ✗' out.txt || { echo "FAIL scene fps target not checked"; cat out.txt; fail=1; }
# what the simulation did: the projectile lands and stays on the ground
if [ -f "$SRC/demos/projectile/modules/projectile_c.wasm" ]; then
  expect projectile-motion 0 'highest Z 10.19, lowest Z 0, horizontal reach 40.77' "$P" run "$SRC/demos/projectile/projectile.usda" -o proj.out.usda
fi

# --report: diagnostics as JSON strings, paths escaped
mkdir -p 'q"dir'
cat >'q"dir/s.usda' <<'USDA'
#usda 1.0
def Xform "W"
{
    def WasmModule "Missing"
    {
        uniform asset wasm:path = @./no"such.wasm@
    }
    def WasmModule "Clock"
    {
        uniform asset wasm:path = @../modules/clock.wasm@
        double outputs:y = 0
    }
}
USDA
expect report-json 3 'module file not found' "$P" run 'q"dir/s.usda' --frames 2 --report r.json
python3 - r.json <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
assert r["scene"] == 'q"dir/s.usda', r["scene"]
assert any("module file not found" in d and 'no"such.wasm' in d for d in r["diagnostics"]), r["diagnostics"]
assert r["targets"] == [] and r["frames"] == 2
print("ok report-json contents")
PY
# a misspelt prim type is reported with a hint by run and graph (and the run goes on)
cat >typo.usda <<'USDA'
#usda 1.0
def Xform "W"
{
    def WasmModule "Clock"
    {
        uniform asset wasm:path = @./modules/clock.wasm@
        double outputs:y = 0
    }
    def WasmPhysic "P"
    {
    }
}
USDA
hint="warning: typo.usda: prim /W/P: unknown prim type 'WasmPhysic'; did you mean 'WasmPhysics'\\?"
expect typo-hint-run 0 "$hint" "$P" run typo.usda --frames 2 -o typo.out.usda
expect typo-hint-graph 0 "$hint" "$P" graph typo.usda
# graph knows a scene by its content, as run does: any name, and the default
# DOT file is the scene's name with .dot for its USD extension
cp scene.usda scene.usd
cp scene.usda scene_text
expect graph-usd-ext 0 'wrote scene.dot' "$P" graph scene.usd
[ -s scene.dot ] || { echo "FAIL graph-usd-ext: no scene.dot"; fail=1; }
expect graph-no-ext 0 'wrote scene_text.dot' "$P" graph scene_text
grep -q 'digraph' scene_text.dot || { echo "FAIL graph-no-ext: scene_text.dot is not a DOT file"; fail=1; }
expect graph-dot-opt 0 'MODULES' "$P" graph --dot named.dot scene_text
[ -s named.dot ] || { echo "FAIL graph-dot-opt: no named.dot"; fail=1; }
expect graph-module 1 'modules/clock.wasm: not a USD scene \(a WebAssembly module\)' "$P" graph modules/clock.wasm
printf 'PXR-USDC' >bin.usda
expect graph-usdc 1 'binary USD' "$P" graph bin.usda
expect graph-missing 1 'nothere.usd' "$P" graph nothere.usd
mkdir adir
expect graph-dir 1 'adir' "$P" graph adir
exit $fail
