#!/usr/bin/env bash
# Differential test of the engine against node (V8) on generated modules.
#
#   scripts/difftest.sh [--count N] [--seed S] [--driver PATH] [--fuel N] [--canon-nan] [--simd] [--keep DIR]
#
# binaryen's `wasm-opt -ttf` (Debian: binaryen) turns random bytes into a
# valid module that calls binaryen's `fuzzing-support` logging imports
# (log-i32, log-i64, log-f32, log-f64, log-v128) and bounds its own loops and
# recursion (the exported hangLimitInitializer resets that bound). Each
# module runs in tests/diff/diff_driver (the portalis engine) and in node
# (tests/diff/fuzz_node.js): both call every exported function with zero
# arguments and print the values logged, the results and the traps.
#
# Which NaN an arithmetic instruction returns (payload, sign) is left open
# by the spec, and V8 and the engine differ (x86's default NaN against the
# operand's); once such a NaN reaches memory, an integer or a vector lane of
# another shape it no longer looks like a NaN. So both engines run the
# modules as rewritten by tests/diff/nan_canon (next to the driver): every
# such instruction, scalar or f32x4/f64x2, is followed by a canonicalisation
# of its NaNs, NaN lanes included, after which a module has one correct
# transcript, bit for bit. The transcripts must be identical (f32 and f64
# NaNs print as "nan": JS numbers do not keep their bits; v128s print as 32
# hex digits, lane 0 last, through shim modules, see fuzz_node.js).
#
# Inputs come from SEED (default: a random one, printed), so a failure is
# reproduced with the same --seed and --count. Modules are made and compared
# in batches of 200; a divergent module is copied to DIR (--keep, default
# ./difftest-failures), rewritten, with both transcripts. Exit status: 0 all
# equal, 1 a divergence (or too few modules compared), 2 usage or missing
# tools.
#
# --canon-nan runs the engine on the original modules with its own NaN
# canonicalisation (canonicalize_nans) instead: its transcript must equal
# V8's on the rewritten modules (the two canonicalisations agree), and, NaN
# bits included, be identical between two translations of the same modules
# (with and without fuel metering): the bit-identical replay the option
# promises.
#
# --simd lets wasm-opt use fixed-width SIMD too.
#
# CI runs `--count 300 --seed 1`, `--count 100 --seed 2 --canon-nan` and
# `--count 40 --seed 3 --simd` (ctest diff_node, diff_node_canon,
# diff_node_simd); for a longer run:
#   scripts/difftest.sh --count 20000
#   nice scripts/difftest.sh --count 5000 --seed 11 --simd
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
count=1000 seed="" simd="" driver="$here/build/bin/diff_driver" fuel="" canon="" keep="$PWD/difftest-failures"
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --driver) driver=$2; shift 2 ;;
    --fuel) fuel="--fuel $2"; shift 2 ;;
    --canon-nan) canon=--canon-nan; shift ;;
    --simd) simd=1; shift ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "difftest: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$count" in ''|*[!0-9]*) echo "difftest: --count expects a positive integer" >&2; exit 2 ;; esac
[ -n "$seed" ] || seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
case "$seed" in ''|*[!0-9]*) echo "difftest: --seed expects a non-negative integer" >&2; exit 2 ;; esac
for tool in node wasm-opt; do
  command -v $tool >/dev/null || { echo "difftest: $tool not found (bash scripts/deps.sh installs it)" >&2; exit 2; }
done
[ -x "$driver" ] || { echo "difftest: driver $driver not built (cmake --build build)" >&2; exit 2; }
js="$here/tests/diff/fuzz_node.js"
nan_canon="$(dirname "$driver")/nan_canon"
[ -x "$nan_canon" ] || { echo "difftest: $nan_canon not built (cmake --build build)" >&2; exit 2; }

# The engine's transcript in node's terms (NaN bits, printed with
# --canon-nan, dropped).
run_driver() {
  "$driver" $fuel $canon "$@" | sed -E 's/ nan:0x[0-9a-f]+$/ nan/'
  return "${PIPESTATUS[0]}"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "difftest: $count modules from seed $seed"
done_n=0 compared=0 calls=0 logs=0 traps=0 v128s=0 failed=0 unchanged=0 batch=0 canon_nans=0 all_nans=0
while [ "$done_n" -lt "$count" ]; do
  n=$((count - done_n)); [ "$n" -gt 200 ] && n=200
  d="$work/b$batch"; mkdir -p "$d"
  # each batch has its own seed derived from SEED, so batches differ
  bash "$here/scripts/ttf-modules.sh" ${simd:+--simd} "$d" $((seed + batch * 1000003)) "$n" "$done_n" || exit 2
  files=() rewritten=()
  for ((i = 0; i < n; i++)); do files+=("$d/m$((done_n + i)).wasm") rewritten+=("$d/c/m$((done_n + i)).wasm"); done
  mkdir -p "$d/c"
  "$nan_canon" -d "$d/c" "${files[@]}" 2>"$d/canon.err" || { echo "difftest: nan_canon failed:"; cat "$d/canon.err"; exit 1; }
  # the engine runs what node runs, or with --canon-nan the originals
  if [ -n "$canon" ]; then engine_files=("${files[@]}"); else engine_files=("${rewritten[@]}"); fi
  run_driver "${engine_files[@]}" >"$d/portalis.txt" 2>"$d/portalis.err" || { echo "difftest: driver failed:"; cat "$d/portalis.err"; exit 1; }
  if [ -n "$canon" ]; then
    # bit-identical across translations: plain and fuel-metered
    "$driver" $canon "${files[@]}" >"$d/bits.txt" 2>&1 &&
      "$driver" --fuel 100000000000 $canon "${files[@]}" >"$d/bits-fuel.txt" 2>&1 || { echo "difftest: driver failed"; exit 1; }
    if ! cmp -s "$d/bits.txt" "$d/bits-fuel.txt"; then
      echo "DIVERGENCE between translations with --canon-nan (seed $seed):"
      diff "$d/bits.txt" "$d/bits-fuel.txt" | head -n 10
      failed=$((failed + 1))
    fi
    canon_nans=$((canon_nans + $(grep -Ec 'f32 nan:0x7fc00000$|f64 nan:0x7ff8000000000000$' "$d/bits.txt")))
    all_nans=$((all_nans + $(grep -c ' nan:0x' "$d/bits.txt")))
  fi
  node "$js" run "${rewritten[@]}" >"$d/node.txt" 2>"$d/node.err" || { echo "difftest: node failed:"; cat "$d/node.err"; exit 1; }
  if ! cmp -s "$d/portalis.txt" "$d/node.txt"; then
    # name each divergent module and keep it with both transcripts
    mkdir -p "$keep"
    awk '/^module /{m=$2} {print m "\t" $0}' "$d/portalis.txt" >"$d/p.tagged"
    awk '/^module /{m=$2} {print m "\t" $0}' "$d/node.txt" >"$d/n.tagged"
    for m in $(diff "$d/p.tagged" "$d/n.tagged" | sed -n 's/^[<>] \([^\t]*\)\t.*/\1/p' | sort -u); do
      cp "$d/c/$m" "$keep/$m"
      grep -P "^\Q$m\E\t" "$d/p.tagged" | cut -f2- >"$keep/$m.portalis.txt"
      grep -P "^\Q$m\E\t" "$d/n.tagged" | cut -f2- >"$keep/$m.node.txt"
      echo "DIVERGENCE in $m (seed $seed): diff $keep/$m.portalis.txt $keep/$m.node.txt"
      diff "$keep/$m.portalis.txt" "$keep/$m.node.txt" | head -n 10
      failed=$((failed + 1))
    done
  fi
  compared=$((compared + n - $(grep -c '^skip invalid module' "$d/portalis.txt")))
  unchanged=$((unchanged + $(grep -c 'copied unchanged' "$d/canon.err")))
  calls=$((calls + $(grep -c '^call ' "$d/portalis.txt")))
  logs=$((logs + $(grep -c '^log ' "$d/portalis.txt")))
  traps=$((traps + $(grep -c '^trap' "$d/portalis.txt")))
  v128s=$((v128s + $(grep -Ec '^(log|result) v128 ' "$d/portalis.txt")))
  rm -rf "$d"
  done_n=$((done_n + n)) batch=$((batch + 1))
done
echo "difftest: $compared of $count modules compared ($calls calls, $logs logged values, $traps traps, $v128s v128 values logged or returned); $failed divergent; $unchanged not rewritten by nan_canon (undecodable)"
[ -n "$canon" ] && echo "difftest: --canon-nan: $all_nans NaNs observed, $canon_nans of them canonical (the others are not arithmetic results: constants, loads, reinterpretations, sign operations)"
# a generator change that made most modules invalid would make this test vacuous
if [ $((compared * 10)) -lt $((count * 9)) ]; then
  echo "difftest: FAIL: fewer than 90% of the modules were valid and compared"
  exit 1
fi
[ "$failed" = 0 ]
