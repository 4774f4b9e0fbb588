#!/bin/sh
# Fails when a static library defines a global symbol without its layer's
# prefix (a global name like `intern` or `value_copy` collides with the
# programs and libraries Portalis is linked into).
# usage: check_symbols.sh NM LIB PREFIXES [LIB PREFIXES ...]
#   PREFIXES: comma-separated allowed prefixes, e.g. "pusd_" or "pw_,wm_"
nm=$1
shift
pass=0
fail=0
while [ $# -ge 2 ]; do
    lib=$1
    prefixes=$2
    shift 2
    if [ ! -f "$lib" ]; then
        echo "FAIL $lib: no such library"
        fail=$((fail + 1))
        continue
    fi
    # Defined global symbols (any uppercase type letter but U); weak ones too.
    syms=$("$nm" -g --defined-only "$lib") || { echo "FAIL $lib: $nm failed"; fail=$((fail + 1)); continue; }
    bad=$(printf '%s\n' "$syms" | awk -v pre="$prefixes" '
        BEGIN { n = split(pre, p, ",") }
        $3 ~ /^__(odr_asan|asan_|ubsan_|tsan_|sancov)/ { next }  # made by the sanitizers
        NF == 3 && $2 != "U" {
            ok = 0
            for (i = 1; i <= n; i++) if (index($3, p[i]) == 1) ok = 1
            if (!ok) print $3
        }' | sort -u)
    count=$(printf '%s\n' "$syms" | awk 'NF == 3 && $2 != "U"' | wc -l)
    if [ -n "$bad" ]; then
        echo "FAIL $(basename "$lib"): global symbols without a prefix in {$prefixes}:"
        printf '%s\n' "$bad" | sed 's/^/    /'
        fail=$((fail + 1))
    elif [ "$count" -eq 0 ]; then
        echo "FAIL $(basename "$lib"): no global symbols found (is $nm working?)"
        fail=$((fail + 1))
    else
        echo "ok   $(basename "$lib"): $count global symbols, all prefixed {$prefixes}"
        pass=$((pass + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
