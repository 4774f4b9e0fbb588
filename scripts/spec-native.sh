#!/usr/bin/env bash
# The whole spec suite on the native tier (docs/aot.md), plus the
# same with fuel and interruption checks and with NaN canonicalisation (each
# engine configuration compiles its own code). CI runs a subset (ctest -L
# native: aot_spec_*); this is the full run.
#
#   scripts/spec-native.sh [BUILD_DIR] [extra spec_runner options]
#
# Native code is cached in BUILD_DIR/aot-cache, so a second run only loads.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
runner="$build/bin/spec_runner"
[ -x "$runner" ] || { echo "spec-native: $runner not built (cmake --build $build)" >&2; exit 2; }
export XDG_CACHE_HOME="$build/aot-cache"
core="$here/../shared/wasm-spec/core"
known="$here/tests/spec/known-failures.txt"
rc=0
for cfg in "" "--fuel --interruptible" "--canon-nans"; do
  echo "spec-native: --tier native $cfg"
  # shellcheck disable=SC2086
  "$runner" --tier native $cfg --known "$known" --out "$build/spec-json" "$@" "$core" || rc=1
done
exit $rc
