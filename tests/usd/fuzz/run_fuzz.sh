#!/bin/sh
# Builds the libFuzzer target for the .usda reader with clang
# (-fsanitize=fuzzer,address,undefined) and runs it for a bounded time.
# Exit 77 (reported by CTest as "skipped") when clang or its fuzzer
# runtime is not available, so gcc-only machines still pass.
# usage: run_fuzz.sh SOURCE_DIR BUILD_DIR SECONDS
set -u
src=$1
out=$2
secs=${3:-20}
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "usd_fuzz: SKIPPED: clang not found"
    exit 77
fi
mkdir -p "$out/corpus"
probe="$out/probe.c"
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$probe"
if ! "$CLANG" -fsanitize=fuzzer "$probe" -o "$out/probe" >/dev/null 2>&1; then
    echo "usd_fuzz: SKIPPED: clang has no libFuzzer runtime (install the clang/libclang-rt-dev package)"
    exit 77
fi
"$CLANG" -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$src/include" "$src"/src/usd/*.c "$src"/src/base/*.c "$src/tests/usd/fuzz/fuzz_usda.c" -lm -o "$out/fuzz_usda" || exit 1
cp "$src"/tests/usd/data/*.usda "$src"/tests/usd/data/composition/*.usda "$out/corpus/" 2>/dev/null
"$out/fuzz_usda" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -dict="$src/tests/usd/fuzz/usda.dict" "$out/corpus" 2>"$out/fuzz.log"
rc=$?
tail -n 3 "$out/fuzz.log"
if [ $rc -ne 0 ]; then
    grep -A 30 "ERROR" "$out/fuzz.log" | head -60
    exit 1
fi
echo "usd_fuzz: ran ${secs}s without crashes"
echo "1 passed, 0 failed"
