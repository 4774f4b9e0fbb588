#!/usr/bin/env bash
# Builds and runs the test suite in three configurations:
#   1. the sanitizer configuration (ASan + UBSan, Debug): every test but the
#      ones labelled `slow` (the libFuzzer run);
#   2. ThreadSanitizer for the multi-threaded code: the execution framework
#      (tests labelled `ef`) and the engine's interrupts and deadline watchdog
#      (label `threads`);
#   3. the Release build: every test. Its CTest summary is the closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPORTALIS_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
echo "== sanitizer configuration (ASan + UBSan) =="
ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE slow

cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DPORTALIS_SANITIZE=thread >/dev/null
cmake --build build-tsan -j"$jobs" >/dev/null
echo "== ThreadSanitizer configuration (execution framework, engine interrupts) =="
ctest --test-dir build-tsan --output-on-failure -j"$jobs" -L 'ef|threads'

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" >/dev/null
echo "== release configuration =="
ctest --test-dir build --output-on-failure -j"$jobs"
