#!/bin/sh
# portalis run SCENE.usda error paths: one line on stderr naming the file
# (file:line:column) or the prim and the resolved path, and the exit status.
#   cli_errors.sh PORTALIS SOURCE_DIR
P=$1
SRC=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d" || exit 1
fail=0
check() { # name expected_rc regex cmd...
  name=$1 want=$2 re=$3
  shift 3
  "$@" >out.txt 2>err.txt
  rc=$?
  lines=$(wc -l <err.txt)
  if [ "$rc" != "$want" ] || [ "$lines" != 1 ] || ! grep -Eq -e "$re" err.txt; then
    echo "FAIL $name: rc=$rc (want $want), $lines stderr lines:"; cat err.txt; fail=1
  else
    echo "ok $name: $(cat err.txt)"
  fi
}
check missing-scene 1 '^portalis run: nosuch\.usda: .*No such file' "$P" run nosuch.usda
printf '#usda 1.0\ndef Xform "W"\n{\n    double x = (1,\n}\n' >broken.usda
check broken-scene 1 '^portalis run: broken\.usda:4:16: error: ' "$P" run broken.usda
sed 's#@./modules/projectile_c.wasm@#@./modules/missing.wasm@#' "$SRC/demos/projectile/projectile.usda" >miss.usda
check missing-wasm 3 "prim /World/Controller: module file not found: .*resolves to '$d/modules/missing.wasm'" "$P" run miss.usda
[ -e miss.out.usda ] && { echo "FAIL missing-wasm: an output was written"; fail=1; }
printf '#usda 1.0\ndef Xform "W"\n{\n}\n' >empty.usda
check no-modules 1 'no WebAssembly module prims' "$P" run empty.usda
check bad-frames 2 'bad value for --frames' "$P" run empty.usda --frames abc
check no-value 2 '--fps needs a value' "$P" run empty.usda --fps
check unknown-option 2 "unknown option '--bogus'" "$P" run empty.usda --bogus
exit $fail
