#!/usr/bin/env bash
# Installs every Debian 12 package the build, tests and demos need.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# When another apt run (unattended-upgrades, a parallel job) holds a lock,
# wait up to 10 minutes instead of failing: apt waits for the dpkg lock
# itself (DPkg::Lock::Timeout) but not for the package lists' lock, so
# `update` is retried while that is busy.
lock=(-o DPkg::Lock::Timeout=600)
for attempt in $(seq 120); do
  if out=$($SUDO apt-get "${lock[@]}" update -qq 2>&1); then break; fi
  case "$out" in
    *"Could not get lock"*) [ "$attempt" = 1 ] && echo "deps.sh: waiting for another apt run to finish" >&2; sleep 5 ;;
    *) echo "$out" >&2; exit 1 ;;
  esac
  [ "$attempt" = 120 ] && { echo "$out" >&2; exit 1; }
done
$SUDO apt-get "${lock[@]}" install -y -qq --no-install-recommends \
  build-essential cmake make gcc clang clang-format lld llvm wabt wasi-libc libclang-rt-14-dev libclang-rt-14-dev-wasm32 \
  libcjson-dev pkg-config python3 nodejs binaryen rustc libstd-rust-dev-wasm32 cargo valgrind hyperfine time ca-certificates git >/dev/null
# Native peers, used by the benchmarks only (bench/robot_arm: Orocos KDL).
$SUDO apt-get "${lock[@]}" install -y -qq --no-install-recommends liborocos-kdl-dev >/dev/null
# The native tier (docs/aot.md): SHA-256 of cached native code.
$SUDO apt-get "${lock[@]}" install -y -qq --no-install-recommends nettle-dev >/dev/null
$SUDO apt-get "${lock[@]}" install -y -qq --no-install-recommends python3-numpy libpng-dev libopenvdb-dev >/dev/null  # demos/fluid: NumPy reference, PNG and OpenVDB export
$SUDO apt-get "${lock[@]}" install -y -qq --no-install-recommends python3-dev python3-venv python3-matplotlib >/dev/null  # python/: the extension's headers, the install test's venv, benchmark plots
$SUDO apt-get "${lock[@]}" install -y -qq --no-install-recommends libmicrohttpd-dev chromium $(command -v npm >/dev/null || echo npm) >/dev/null  # portalis serve (docs/serve.md): HTTP server; the viewer's npm build and browser test
