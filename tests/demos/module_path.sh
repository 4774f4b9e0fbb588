#!/bin/sh
# The demos run from the source tree although the build writes nothing
# there: `portalis run demos/projectile/projectile.usda` finds its module in
# the build tree's share/portalis/modules (the folder beside the program),
# and $PORTALIS_MODULE_PATH adds folders searched first.
# usage: module_path.sh PORTALIS SOURCE_DIR BUILD_DIR
portalis=$1 src=$2 build=$3
tmp=$(mktemp -d /tmp/portalis-modpath.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {
    if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; cat "$tmp/err" 2>/dev/null; fi
}
mod=$build/demos/projectile/modules/projectile_c.wasm
if [ ! -f "$mod" ]; then
    echo "skipped: $mod not built (no wasm32 clang)"
    exit 77
fi
before=$(ls -A "$src/demos/projectile")
(cd "$src" && "$portalis" run demos/projectile/projectile.usda --frames 3 -o "$tmp/a.usda" >"$tmp/out" 2>"$tmp/err")
check $? "portalis run demos/projectile/projectile.usda from the source tree"
[ "$(ls -A "$src/demos/projectile")" = "$before" ]
check $? "nothing written into the source tree"

# a folder named by PORTALIS_MODULE_PATH
mkdir -p "$tmp/scene" "$tmp/extra/envonly"
cp "$mod" "$tmp/extra/envonly/"
sed 's#@./modules/projectile_c.wasm@#@./envonly/projectile_c.wasm@#' "$src/demos/projectile/projectile.usda" >"$tmp/scene/p.usda"
"$portalis" run "$tmp/scene/p.usda" --frames 3 -o "$tmp/b.usda" >"$tmp/out" 2>"$tmp/err"
[ $? = 3 ] && grep -q "module file not found" "$tmp/err"
check $? "without PORTALIS_MODULE_PATH the module is not found"
PORTALIS_MODULE_PATH="$tmp/nothing:$tmp/extra" "$portalis" run "$tmp/scene/p.usda" --frames 3 -o "$tmp/b.usda" \
    >"$tmp/out" 2>"$tmp/err"
check $? "PORTALIS_MODULE_PATH folders are searched in order"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
