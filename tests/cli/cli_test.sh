#!/bin/sh
# Command-line conventions of `portalis` (issue 9 item 9, issue 11 items 2
# and 9): version and help, --argv0, --, wasmtime's -W spellings, exit
# statuses, range-checked numbers, files refused by content or type (FIFOs,
# devices, oversized, WebAssembly text, binary USD) and how `run` tells a
# module run from a scene run.
#   cli_test.sh PORTALIS CLI_WASM CLI_NAMED_WASM ARGS_WASM
# (CLI_NAMED_WASM is cli.wasm with a name section, CLI_WASM without one.)
P=$1
W=$2
WN=$3
A=$4
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d" || exit 1
fail=0
n=0
# check NAME WANT_RC REGEX CMD...: the exit status is WANT_RC and stdout+stderr
# match the extended regular expression REGEX. No command may take longer than
# 60 s (a hang is a failure, not a wait).
check() {
  name=$1 want=$2 re=$3
  shift 3
  n=$((n + 1))
  timeout 60 "$@" >out.txt 2>&1
  rc=$?
  if [ "$rc" != "$want" ] || ! grep -Eq -e "$re" out.txt; then
    echo "FAIL $name: exit $rc (want $want), output:"
    sed 's/^/    /' out.txt
    fail=$((fail + 1))
  else
    echo "ok   $name: $(head -n 1 out.txt)"
  fi
}

# -- version and help
check version 0 '^portalis [0-9]+\.[0-9]+\.[0-9]+' "$P" --version
check version-V 0 '^portalis [0-9]+\.[0-9]+\.[0-9]+' "$P" -V
check version-cmd 0 '^portalis [0-9]+\.[0-9]+\.[0-9]+' "$P" version
check help-run 0 'usage: portalis run' "$P" help run
check help-run-codes 0 '134 +the module trapped' "$P" help run
check help-inspect 0 'usage: portalis inspect' "$P" help inspect
check help-usd 0 'usd' "$P" help usd
check help-unknown 2 "unknown command 'nope'" "$P" help nope
check help-main 0 '134 a module trapped' "$P" --help
# every command listed has its help, through `help CMD` and `CMD --help`
cmds=$("$P" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[ -n "$cmds" ] || { echo "FAIL no commands listed by --help"; fail=$((fail + 1)); }
for c in $cmds; do
  check "help-$c" 0 '[a-z]' "$P" help "$c"
  check "$c-help" 0 '[a-z]' "$P" "$c" --help
done

# -- --argv0 and --
check argv0-default 0 "^$A\$" "$P" run "$A"
check argv0 0 '^hello$' "$P" run --argv0 hello "$A"
check argv0-eq 0 '^hi there$' "$P" run "--argv0=hi there" "$A"
cp "$A" ./-dash.wasm
check dashdash 0 '^-dash\.wasm$' "$P" run -- -dash.wasm
check dashdash-options 0 '^x$' "$P" run --argv0 x -- -dash.wasm
check no-dashdash 2 'unknown option -dash.wasm' "$P" run -dash.wasm
check args-after-module 0 '^-3$' "$P" run --invoke add "$W" -1 -2
check args-after-module-verbatim 0 '^x$' "$P" run --argv0 x "$A" --invoke --bogus

# -- exit statuses: trap 134, load error 1, usage 2
check trap 134 'trap: unreachable' "$P" run --invoke boom "$W"
printf 'garbage!' >garbage.wasm
check malformed 1 'garbage\.wasm' "$P" run --invoke boom garbage.wasm
check no-export 2 'no export named "nope"' "$P" run --invoke nope "$W"
check no-module 2 'no module or scene given' "$P" run --invoke add
check unknown-option 2 'unknown option --bogus' "$P" run --bogus "$W"

# -- wasmtime's -W spellings beside the long options
check W-fuel 134 'out of fuel' "$P" run -W fuel=1000 --invoke spin "$W"
check W-fuel-attached 134 'out of fuel' "$P" run -Wfuel=1000 --invoke spin "$W"
check wasm-fuel 134 'out of fuel' "$P" run --wasm fuel=1000 --invoke spin "$W"
check fuel 134 'out of fuel' "$P" run --fuel 1000 --invoke spin "$W"
check W-timeout 134 'deadline' "$P" run -W timeout=20ms --invoke spin "$W"
check W-list 134 'out of fuel' "$P" run -W timeout=1h,fuel=1000 --invoke spin "$W"
check W-mem-1page 0 '^-1$' "$P" run -W max-memory-size=65536 --invoke grow "$W" 1
check W-mem-2pages 0 '^1$' "$P" run -W max-memory-size=131072 --invoke grow "$W" 1
check max-memory-mb 0 '^-1$' "$P" run --max-memory-mb 1 --invoke grow "$W" 16
# without an option, memories are capped at 1 GiB (16384 pages; the module has 1)
check default-cap-at 0 '^1$' "$P" run --invoke grow "$W" 16383
check default-cap-past 0 '^-1$' "$P" run --invoke grow "$W" 16384
check default-cap-raised 0 '^1$' "$P" run --max-memory-mb 2048 --invoke grow "$W" 16384
check default-cap-help 0 'default 1024' "$P" run --help
check W-help 0 'max-memory-size=BYTES' "$P" run -W help
check W-nan 0 '^2143289344$' "$P" run -W nan-canonicalization --invoke nanbits "$W"
check W-nan-y 0 '^2143289344$' "$P" run -W nan-canonicalization=y,fuel=100 --invoke nanbits "$W"
check W-nan-bad 2 "bad value for -W nan-canonicalization: 'maybe'" "$P" run -W nan-canonicalization=maybe --invoke add "$W" 1 2
check W-unknown 2 '-W bogus: not a portalis option' "$P" run -W bogus=1 --invoke add "$W" 1 2
check W-stack 2 '-W max-wasm-stack: not a portalis option' "$P" run -W max-wasm-stack=1000 --invoke add "$W" 1 2
check W-fuel-neg 2 "bad value for -W fuel: '-1'" "$P" run -W fuel=-1 --invoke add "$W" 1 2
check W-mem-big 2 'bad value for -W max-memory-size' "$P" run -W max-memory-size=4294967297 --invoke add "$W" 1 2

# -- every numeric option range-checked (issue 11 item 2)
check fuel-overflow 2 'bad value for --fuel' "$P" run --fuel 99999999999999999999999 --invoke add "$W" 1 2
check fuel-negative 2 'bad value for --fuel' "$P" run --fuel -5 --invoke add "$W" 1 2
check fuel-blank 2 'bad value for --fuel' "$P" run --fuel ' 5' --invoke add "$W" 1 2
check fuel-trailing 2 'bad value for --fuel' "$P" run --fuel 5x --invoke add "$W" 1 2
check mem-overflow 2 'bad value for --max-memory-mb' "$P" run --max-memory-mb 99999999999999999999 --invoke add "$W" 1 2
check mem-over-4g 2 'bad value for --max-memory-mb' "$P" run --max-memory-mb 4097 --invoke add "$W" 1 2
check depth-zero 2 'bad value for --max-call-depth' "$P" run --max-call-depth 0 --invoke add "$W" 1 2
check depth-big 2 'bad value for --max-call-depth' "$P" run --max-call-depth 4294967296 --invoke add "$W" 1 2
check timeout-huge 2 'bad value for --timeout' "$P" run --timeout 1e400 --invoke add "$W" 1 2
check timeout-neg 2 'bad value for --timeout' "$P" run --timeout -1s --invoke add "$W" 1 2
check timeout-nan 2 'bad value for --timeout' "$P" run --timeout nan --invoke add "$W" 1 2
check arg-overflow 2 'is not a valid i32' "$P" run --invoke add "$W" 99999999999999999999999 1

# -- inspect --code: index, name-section name, export name, bad values
check code-index 0 'func 0: 2 params' "$P" inspect --code 0 "$WN"
check code-name 0 'func 1: 0 params' "$P" inspect --code boom "$WN"
check code-export 0 'func 3: 1 params' "$P" inspect --code grow "$W"
check code-all 0 'func 3: 1 params' "$P" inspect --code all "$W"
check code-huge 2 'function 999999 does not exist' "$P" inspect --code 999999 "$W"
check code-unknown 2 'no function of that index or name' "$P" inspect --code nope "$W"
check code-missing 2 '--code needs' "$P" inspect "$W" --code

# -- files refused before they are read: FIFOs, devices, oversized files
mkfifo fifo.wasm
check fifo-run 1 'it is a FIFO' "$P" run fifo.wasm
check fifo-validate 1 'it is a FIFO' "$P" validate fifo.wasm
check fifo-inspect 1 'it is a FIFO' "$P" inspect fifo.wasm
check zero-run 1 'it is a character device' "$P" run /dev/zero
check zero-validate 1 'it is a character device' "$P" validate /dev/zero
check zero-inspect 1 'it is a character device' "$P" inspect /dev/zero
check dir-run 1 'it is a directory' "$P" validate .
truncate -s 1025M big.wasm
check too-big 1 'over the limit of 1073741824 bytes' "$P" validate big.wasm
check too-big-run 1 'over the limit of 1073741824 bytes' "$P" run big.wasm
rm -f big.wasm

# -- what a file is comes from its content
printf ';; a comment\n(module (func (export "f") (result i32) i32.const 7))\n' >text.wat
cp text.wat text.wasm
# converted by wat2wasm when it is installed (as wasmtime accepts .wat) ...
check wat-run 0 '^7$' "$P" run --invoke f text.wat
check wat-named-wasm 0 '^7$' "$P" run --invoke f text.wasm
check wat-validate 0 '^valid$' "$P" validate text.wat
check wat-inspect 0 '"f": func +\(\) -> \(i32\)' "$P" inspect text.wat
printf '(module (func (export "f") (result i32) i32.const))\n' >bad.wat
check wat-bad-where 1 '^bad\.wat:1:[0-9]+: error: ' "$P" run --invoke f bad.wat
check wat-bad 1 'bad\.wat: WebAssembly text that wat2wasm could not convert' "$P" run --invoke f bad.wat
# ... and named with the package to install when it is not
check wat-no-wabt 1 'WebAssembly text.*wat2wasm is not installed.*wabt' env PATH=/nonexistent "$P" run --invoke f text.wat
check wat-no-wabt-validate 1 'wat2wasm is not installed' env PATH=/nonexistent "$P" validate text.wat
printf 'PXR-USDC\000\000\000\000\000\000\000\000' >crate.usdc
cp crate.usdc crate.usd
check usdc-run 1 'binary USD \(crate\) files are not supported yet; convert with usdcat' "$P" run crate.usdc
check usdc-as-usd 1 'binary USD \(crate\) files are not supported yet; convert with usdcat' "$P" run crate.usd
check usdc-validate 1 'binary USD \(crate\)' "$P" validate crate.usdc
printf '#usda 1.0\ndef Xform "W"\n{\n}\n' >empty.usda
cp empty.usda empty.usd
cp empty.usda scene-named.wasm
check usd-text 1 'empty\.usd: the scene declares no WebAssembly module prims' "$P" run empty.usd
check usda-named-wasm 1 'declares no WebAssembly module prims' "$P" run scene-named.wasm
check usda-validate 1 'is a USD scene, not a WebAssembly module' "$P" validate empty.usda

# -- run: FILE is the first argument that is no option value (issue 11 item 9)
mkdir dir.usda
check dir-value-usda 0 '^3$' "$P" run --dir dir.usda --invoke add "$W" 1 2
check module-option-on-scene 2 '--dir is an option of module runs, but empty\.usda is a USD scene' \
  "$P" run --dir dir.usda empty.usda "$W"
check module-first-hint 2 'to run the module .*cli\.wasm, name it first' \
  "$P" run --dir dir.usda empty.usda "$W"
check invoke-on-scene 2 '--invoke is an option of module runs' "$P" run --invoke add empty.usda
check scene-option-on-module 2 '--frames is an option of scene runs' "$P" run --frames 3 --invoke add "$W" 1 2
check scene-options-first 1 'declares no WebAssembly module prims' "$P" run --frames 3 --quiet empty.usda
check scene-dashdash 1 'declares no WebAssembly module prims' "$P" run --frames 3 -- empty.usda

# -- compile: the optimisation level (docs/aot.md); needs a C compiler
if command -v cc >/dev/null 2>&1; then
  # compile then run the image (compile prints nothing)
  check compile-O1 0 '^3$' sh -c 'PORTALIS_AOT_CACHE=0 "$0" compile -O1 -o o1.pwo "$1" &&
    "$0" run --invoke add o1.pwo 1 2' "$P" "$W"
  check compile-opt 0 '^3$' sh -c 'PORTALIS_AOT_CACHE=0 "$0" compile --opt -Os -o os.pwo "$1" &&
    "$0" run --invoke add os.pwo 1 2' "$P" "$W"
fi
check compile-bad-opt 2 'unexpected argument -O5' "$P" compile -O5 "$W"
check compile-opt-value 2 'unexpected argument --opt' "$P" compile --opt fast "$W"

echo "$((n - fail)) of $n command-line checks passed"
[ "$fail" = 0 ]
