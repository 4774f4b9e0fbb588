#!/usr/bin/env bash
# Builds and runs the test suite in four configurations, in this order:
#   1. sanitizers (gcc, Debug, ASan + UBSan; build-asan/): every test but the
#      ones labelled `slow` (the libFuzzer run, the benchmark suite);
#   2. ThreadSanitizer (gcc, Debug; build-tsan/): the multi-threaded code, the
#      execution framework (label `ef`) and the engine's interrupts and
#      deadline watchdog (label `threads`);
#   3. clang (Release, -Werror; build-clang/): every test but `slow`, so the
#      code builds warning-free and passes with both compilers;
#   4. Release (gcc; build/): every test. Its CTest summary is the closing line.
# Needs nothing outside this repository. The WebAssembly spec suite is an
# optional extra (../shared/wasm-spec, or -DPORTALIS_SHARED_DIR): without it
# the spec tests are reported as skipped; PORTALIS_REQUIRE_SPEC=ON (CI) makes
# its absence an error.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
common=(-DPORTALIS_REQUIRE_SPEC="${PORTALIS_REQUIRE_SPEC:-OFF}")
# Builds quietly (cargo reports progress on stderr); shows the log on failure.
build() {
  if ! cmake --build "$1" -j"$jobs" >"$1/build.log" 2>&1; then
    tail -n 40 "$1/build.log" >&2
    exit 1
  fi
}

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPORTALIS_SANITIZE=address,undefined "${common[@]}" >/dev/null
build build-asan
echo "== 1/4 sanitizer configuration (gcc, ASan + UBSan) =="
ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE slow

cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DPORTALIS_SANITIZE=thread "${common[@]}" >/dev/null
build build-tsan
echo "== 2/4 ThreadSanitizer configuration (execution framework, engine interrupts) =="
ctest --test-dir build-tsan --output-on-failure -j"$jobs" -L 'ef|threads'

CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release "${common[@]}" >/dev/null
build build-clang
echo "== 3/4 clang configuration (Release) =="
ctest --test-dir build-clang --output-on-failure -j"$jobs" -LE slow

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${common[@]}" >/dev/null
build build
echo "== 4/4 release configuration (gcc) =="
ctest --test-dir build --output-on-failure -j"$jobs"
