#!/usr/bin/env bash
# Installs every Debian 12 package the build, tests and demos need.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake make gcc clang lld llvm wabt wasi-libc libclang-rt-14-dev libclang-rt-14-dev-wasm32 \
  libcjson-dev python3 nodejs binaryen rustc libstd-rust-dev-wasm32 cargo valgrind hyperfine time ca-certificates git >/dev/null
