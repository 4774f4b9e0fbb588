#!/bin/sh
# Links objects into one relocatable object whose global symbols all get the
# prefix sw_, so a second build of the engine (the switch-dispatch
# interpreter) can live in the same program as the first.
# usage: prefix_symbols.sh OUT.o OBJECT...
set -eu
out=$1
shift
${LD:-ld} -r -o "$out.tmp" "$@"
nm -g --defined-only "$out.tmp" | awk '{print $3 " sw_" $3}' >"$out.syms"
objcopy --redefine-syms="$out.syms" "$out.tmp" "$out"
rm -f "$out.tmp" "$out.syms"
