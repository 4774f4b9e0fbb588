#!/usr/bin/env bash
# Generated test modules, shared by scripts/difftest.sh (engine against node)
# and scripts/difftier.sh (native tier against the interpreter).
#
#   scripts/ttf-modules.sh [--simd] DIR SEED COUNT FIRST [SIZE]
#   scripts/ttf-modules.sh [--simd] --features   (prints the wasm-opt feature flags)
#
# Writes DIR/m<FIRST>.wasm .. DIR/m<FIRST+COUNT-1>.wasm: random inputs from
# SEED (tests/diff/fuzz_node.js gen, xorshift64*: the same SEED gives the same
# inputs on every machine; each input 1-16 KiB, or SIZE bytes), each turned
# into a valid module by binaryen's `wasm-opt -ttf` (Debian: binaryen) with
# the features both engines and both tiers implement: wasm 2.0 without SIMD
# and reference types, which binaryen 108's generator emits in forms V8
# rejects too; --simd adds fixed-width SIMD. The callers check that node and
# wasm-opt exist.
# Exit status: 0, or 2 when node or wasm-opt fails.
set -uo pipefail
features="--enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue --enable-mutable-globals"
[ "${1:-}" = --simd ] && { features="$features --enable-simd"; shift; }
[ "${1:-}" = --features ] && { echo "$features"; exit 0; }
[ $# -ge 4 ] || { echo "usage: ttf-modules.sh DIR SEED COUNT FIRST [SIZE]" >&2; exit 2; }
dir=$1 seed=$2 count=$3 first=$4 size=${5:-}
here=$(cd "$(dirname "$0")/.." && pwd)
node "$here/tests/diff/fuzz_node.js" gen "$dir" "$seed" "$count" $size || exit 2
for ((i = 0; i < count; i++)); do
  wasm-opt -ttf $features "$dir/$i.bin" -o "$dir/m$((first + i)).wasm" 2>/dev/null ||
    { echo "ttf-modules: wasm-opt failed on input $i (seed $seed)" >&2; exit 2; }
  rm -f "$dir/$i.bin"
done
