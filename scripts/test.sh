#!/usr/bin/env bash
# Builds and runs the whole test suite twice: a normal Release build and the
# sanitizer configuration (ASan + UBSan). Ends with CTest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPORTALIS_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j"$jobs"
echo "== sanitizer configuration (ASan + UBSan) =="
ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE slow
echo "== release configuration =="
ctest --test-dir build --output-on-failure -j"$jobs"
