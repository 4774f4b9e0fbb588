#!/bin/sh
# Runs the C and Rust wasm32-wasip1 tests of the official WASI test suite
# against `portalis run`. Not part of CI (the suite is fetched from the
# network); see docs/wasi.md.
#
#   tests/wasi/testsuite/run.sh SUITE_DIR [PORTALIS]
#
# SUITE_DIR: a checkout of https://github.com/WebAssembly/wasi-testsuite,
# branch prod/testsuite-base (it holds the prebuilt test binaries); run it
# outside this repository. PYTHON: a Python >= 3.12 with `colorama`.
set -eu
if [ $# -lt 1 ]; then
    echo "usage: $0 SUITE_DIR [PORTALIS]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
suite=$(cd "$1" && pwd)
PORTALIS=$(realpath "${2:-$here/../../../build/bin/portalis}")
export PORTALIS
cd "$suite"
exec "${PYTHON:-python3}" test-runner/wasi_test_runner.py --disable-colors \
    -t tests/c/testsuite/wasm32-wasip1 tests/rust/testsuite/wasm32-wasip1 \
    -r "$here/portalis_adapter.py"
