#!/usr/bin/env bash
# Modules that once ran differently on the two tiers (found by
# scripts/difftier.sh; the file name says where: seed and module number),
# kept so each bug stays fixed. Every module must give the same transcript -
# results, traps, NaN bits, fuel, memory hashes - on both tiers.
#   tests/aot/regress/run.sh DRIVER
# ttf-seed7-m6534: in guard mode gcc sank an f64.store past a later f64.load
# that faults (provably different constant addresses), so the trapping call
# lost a store the interpreter made (fixed by W_ORDER, aot_prelude.c).
set -uo pipefail
driver=$1 here=$(cd "$(dirname "$0")" && pwd) failed=0 n=0
for m in "$here"/*.wasm; do
  n=$((n + 1))
  a=$("$driver" --tier interp --fuel 1000000 --show-fuel --bits "$m" 2>&1)
  b=$("$driver" --tier native --fuel 1000000 --show-fuel --bits "$m" 2>&1)
  if [ "$a" != "$b" ]; then
    echo "DIVERGENCE in $(basename "$m"):"
    diff <(echo "$a") <(echo "$b") | head -n 10
    failed=$((failed + 1))
  fi
done
echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
