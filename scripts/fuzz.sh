#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined)
# and runs each for a bounded time, one after the other.
#
#   scripts/fuzz.sh [-s SECONDS | -m MINUTES] [-o DIR] [-k] TARGET...
#
# TARGET is `usd` (the .usda reader: tests/usd/fuzz) or `wasm` (the module
# loader and runner: tests/wasm/fuzz), or `all`. Default 60 seconds each, in
# DIR/TARGET (default ./build-fuzz): the binary, corpus/ (kept between runs:
# new inputs are added to it), seeds/ (remade each run from the repository,
# the spec suite in ../shared and binaryen's generator), fuzz.log, and any
# crash-*/leak-*/timeout-* input. An input still running after 60 s of wall
# clock is a timeout: a hang guard far above the slowest inputs (~0.6 s of
# CPU), so that a loaded machine does not make a finding. -k keeps a binary
# built before (sources unchanged) instead of building again. Extra libFuzzer
# flags go in FUZZ_FLAGS; FUZZ_JOBS compilers run at once (default 2).
# For a long run on a shared machine: nice -n 19 scripts/fuzz.sh -m 60 usd
#
# Prints, per target, the executions, executions per second, coverage
# (cov: edges, ft: features), corpus size and crash count; exits 1 on a
# crash, leak or timeout (the input is in DIR/TARGET and its report in
# fuzz.log), 77 (CTest's "skipped") when clang or its libFuzzer runtime is
# missing, so gcc-only machines still pass, 2 on a usage error.
set -uo pipefail
# One group, read whole before it runs: editing this file during an hour-long
# run does not change the run.
{
here=$(cd "$(dirname "$0")/.." && pwd)
secs=60 out="$PWD/build-fuzz" keep="" targets=()
usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -s) secs=$2; shift 2 ;;
    -m) secs=$(($2 * 60)); shift 2 ;;
    -o) out=$2; shift 2 ;;
    -k) keep=1; shift ;;
    all) targets+=(usd wasm); shift ;;
    usd|wasm) targets+=("$1"); shift ;;
    *) usage ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || usage
case "$secs" in ''|*[!0-9]*) usage ;; esac
CLANG=${CLANG:-clang}
mkdir -p "$out" && out=$(cd "$out" && pwd)

if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: clang not found"
  exit 77
fi
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$out/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: clang has no libFuzzer runtime (install the libclang-rt-14-dev package)"
  exit 77
fi
cflags=(-std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -ffp-contract=off -I"$here/include")

# ---- usd: the .usda reader ---------------------------------------------------
build_usd() { # DIR
  "$CLANG" "${cflags[@]}" "$here"/src/usd/*.c "$here"/src/base/*.c "$here/tests/usd/fuzz/fuzz_usda.c" -lm \
    -o "$1/fuzz_usd"
}
seeds_usd() { # DIR
  cp "$here"/tests/usd/data/*.usda "$here"/tests/usd/data/composition/*.usda "$here"/tests/usd/fuzz/regress/* \
    "$1/" 2>/dev/null
  return 0
}
flags_usd=(-max_len=4096 -dict="$here/tests/usd/fuzz/usda.dict")

# ---- wasm: the module loader and runner --------------------------------------
# The engine is linked twice: as built, and a second copy built with the
# portable switch dispatch (PW_NO_COMPUTED_GOTO) whose global symbols get the
# prefix `sw_`, so one process runs each input on both and compares.
# Objects are kept and rebuilt when their source or any header is newer.
compile_wasm() { # DIR goto|switch SOURCE
  local extra=() o
  o="$1/$2/$(basename "$3" .c).o"
  if [ -e "$o" ] && [ -z "$(find "$3" "$here"/src/wasm/*.h "$here"/include/portalis/*.h \
    "$here"/tests/wasm/fuzz/*.h -newer "$o")" ]; then
    return 0
  fi
  [ "$2" = switch ] && extra=(-DPW_NO_COMPUTED_GOTO)
  # dated when the compiler started: a source edited meanwhile is newer
  touch "$o.start"
  "$CLANG" "${cflags[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}" "${extra[@]}" -I"$here/src/wasm" \
    -c "$3" -o "$o" && touch -r "$o.start" "$o"
  local rc=$?
  rm -f "$o.start"
  return $rc
}
build_wasm() { # DIR
  local d=$1 f v running=0
  mkdir -p "$d/goto" "$d/switch"
  for f in "$d"/goto/*.o "$d"/switch/*.o; do # objects of deleted sources
    v=$(basename "$f" .o)
    [ -e "$here/src/wasm/$v.c" ] || [ -e "$here/tests/wasm/fuzz/$v.c" ] || rm -f "$f"
  done
  for f in "$here"/src/wasm/*.c "$here"/tests/wasm/fuzz/{fuzz_run,dummy_imports}.c; do
    for v in goto switch; do
      compile_wasm "$d" $v "$f" &
      running=$((running + 1))
      if [ $running -ge "${FUZZ_JOBS:-2}" ]; then
        wait -n || return 1
        running=$((running - 1))
      fi
    done
  done
  for ((; running > 0; running--)); do wait -n || return 1; done
  sh "$here/tests/wasm/fuzz/prefix_symbols.sh" "$d/switch.o" "$d"/switch/*.o || return 1
  "$CLANG" "${cflags[@]}" "$here"/src/base/*.c "$here/tests/wasm/fuzz/fuzz_wasm.c" "$d"/goto/*.o "$d/switch.o" \
    -lnettle -ldl -lpthread -lm -o "$d/fuzz_wasm"
}
flags_wasm=(-max_len=65536)

# Seeds: the checked-in corpus (modules of the project's own tests and every
# input that once failed), the repository's .wat files, the spec suite's
# binary modules, and modules from binaryen's generator (wasm-opt -ttf).
seeds_wasm() { # DIR
  local s=$1 w i
  cp "$here"/tests/wasm/fuzz/seeds/*.wasm "$here"/tests/wasm/fuzz/regress/* "$s/" 2>/dev/null
  if command -v wat2wasm >/dev/null; then
    for w in $(find "$here/tests" "$here/examples" "$here/demos" -name '*.wat'); do
      i=${w#"$here"/}
      wat2wasm --enable-all "$w" -o "$s/wat-${i//\//-}.wasm" 2>/dev/null
    done
  fi
  local spec="${PORTALIS_SHARED_DIR:-$here/../shared}/wasm-spec/core"
  if [ -d "$spec" ] && command -v wast2json >/dev/null; then
    mkdir -p "$out/wasm/spec"
    for w in "$spec"/*.wast; do
      i=${w##*/} && i=${i%.wast}
      [ -e "$out/wasm/spec/$i.json" ] || wast2json --enable-all "$w" -o "$out/wasm/spec/$i.json" 2>/dev/null
    done
    cp "$out"/wasm/spec/*.wasm "$s/"
  fi
  if command -v wasm-opt >/dev/null; then
    for i in $(seq 1 40); do
      LC_ALL=C awk -v s="$i" 'BEGIN { srand(s); for (i = 0; i < 2000; i++) printf "%c", int(rand() * 256) }' >"$s/ttf.bin"
      wasm-opt -ttf --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
        --enable-multivalue --enable-mutable-globals --enable-reference-types "$s/ttf.bin" -o "$s/ttf-$i.wasm" 2>/dev/null
    done
    rm -f "$s/ttf.bin"
  fi
  return 0
}

# ---- running -------------------------------------------------------------------
failed=0
for t in "${targets[@]}"; do
  d="$out/$t"
  rm -rf "$d/seeds" && mkdir -p "$d/corpus" "$d/seeds"
  if [ -z "$keep" ] || [ ! -x "$d/fuzz_$t" ]; then
    echo "fuzz $t: building in $d"
    if ! "build_$t" "$d" >"$d/build.log" 2>&1; then
      tail -n 30 "$d/build.log"
      echo "fuzz $t: build failed"
      exit 1
    fi
  fi
  "seeds_$t" "$d/seeds"
  echo "fuzz $t: running ${secs}s (corpus $(ls "$d/corpus" | wc -l) inputs, $(ls "$d/seeds" | wc -l) seeds)"
  flags="flags_$t[@]"
  # shellcheck disable=SC2086
  "$d/fuzz_$t" -max_total_time="$secs" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$d/" "${!flags}" ${FUZZ_FLAGS:-} "$d/corpus" "$d/seeds" 2>"$d/fuzz.log"
  rc=$?
  last=$(grep -E '^#[0-9]+' "$d/fuzz.log" | tail -n 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/fuzz.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$d/fuzz.log")
  crashes=$(ls "$d" | grep -cE '^(crash|leak|timeout|oom|slow-unit)-')
  echo "fuzz $t: ${execs:-?} execs, ${rate:-?} exec/s, $(echo "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+'), $crashes crash/leak/timeout inputs"
  if [ $rc -ne 0 ]; then
    grep -B 2 -A 40 -E "ERROR|runtime error|ALARM|abort" "$d/fuzz.log" | head -n 80
    failed=$((failed + 1))
  fi
done
echo "$((${#targets[@]} - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
exit
}
