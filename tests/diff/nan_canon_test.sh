#!/usr/bin/env bash
# ctest diff_nan_canon: nan_canon (tests/diff/nan_canon.c) on nan_canon.wat.
#
#   nan_canon_test.sh NAN_CANON DIFF_DRIVER MODULE.wasm EXPECTED.txt [FUZZ_NODE.js]
#
# The rewritten module must print EXPECTED (NaN bits included) on both
# tiers, and the engine's canonicalize_nans on the original module must
# print the same (the two canonicalisations agree); the original, without
# canonicalisation, must print something else (the test would otherwise not
# see the rewrite). With node, V8 must print what the engine prints.
set -uo pipefail
[ $# -ge 4 ] || { echo "usage: nan_canon_test.sh NAN_CANON DIFF_DRIVER MODULE.wasm EXPECTED.txt [FUZZ_NODE.js]" >&2; exit 2; }
canon=$1 driver=$2 module=$3 expected=$4 js=${5:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() { # NAME FILE: FILE must equal EXPECTED
  if cmp -s "$expected" "$2"; then echo "ok: $1"; else echo "FAIL: $1"; diff "$expected" "$2"; fail=1; fi
}
mkdir "$work/raw" "$work/canon"
cp "$module" "$work/raw/m.wasm"
"$canon" "$work/raw/m.wasm" -o "$work/canon/m.wasm" || { echo "FAIL: nan_canon"; exit 1; }
for tier in interp native; do
  "$driver" --tier $tier --bits "$work/canon/m.wasm" >"$work/$tier.txt" 2>&1
  check "rewritten module, $tier tier" "$work/$tier.txt"
  "$driver" --tier $tier --canon-nan "$work/raw/m.wasm" >"$work/$tier-option.txt" 2>&1
  check "original module with canonicalize_nans, $tier tier" "$work/$tier-option.txt"
done
"$driver" --bits "$work/raw/m.wasm" >"$work/raw.txt" 2>&1
if cmp -s "$expected" "$work/raw.txt"; then
  echo "FAIL: the original module prints the canonical transcript: the test cannot see the rewrite"
  fail=1
else
  echo "ok: the original module's NaNs differ"
fi
if [ -n "$js" ] && command -v node >/dev/null; then
  "$driver" "$work/canon/m.wasm" >"$work/engine.txt" 2>&1
  node "$js" run "$work/canon/m.wasm" >"$work/node.txt" 2>&1
  if cmp -s "$work/engine.txt" "$work/node.txt"; then echo "ok: V8 agrees"; else
    echo "FAIL: V8 differs"; diff "$work/engine.txt" "$work/node.txt"; fail=1
  fi
fi
[ "$fail" = 0 ] && echo "nan_canon_test: all passed" || echo "nan_canon_test: FAILED"
exit $fail
