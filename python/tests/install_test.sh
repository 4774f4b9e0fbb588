#!/bin/sh
# pip install ./python into a fresh venv with no package index (offline),
# then use the package from outside the source tree: the specification's
# import names and a call into a real module. Reuses the CMake build's
# extension (PORTALIS_BUILD_DIR) so it does not rebuild the library.
#   install_test.sh PYTHON PYTHON_SRC_DIR CALC_WASM
set -eu
unset PYTHONPATH  # the installed package, not the build tree's
python=$1 src=$2 calc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$python" -m venv "$tmp/venv" >"$tmp/venv.log" 2>&1; then
  cat "$tmp/venv.log"
  echo "python_install: cannot create a venv (Debian: python3-venv)"; exit 1
fi
"$tmp/venv/bin/python" -m pip install --no-index --no-cache-dir "$src" >"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; exit 1; }
cd "$tmp"
"$tmp/venv/bin/python" - "$calc" <<'PY'
import sys
import portalis
from wasm_bridge import WasmtimeBridge, WasmModuleConfig
from usd_schemas import create_wasm_module_prim
assert "/venv/" in portalis.__file__, portalis.__file__
bridge = WasmtimeBridge(WasmModuleConfig(max_memory_mb=64))
mid = bridge.load_module(sys.argv[1])
assert bridge.call_function(mid, "calculate", 1.0, 2.0) == 2.5
stage = portalis.usd.Usd.Stage.CreateInMemory()
assert create_wasm_module_prim(stage, "/W/M", "m.wasm", "m", "update", "physics").GetTypeName() == "WasmPhysics"
print("installed portalis", portalis.__version__, "from", portalis.__file__)
PY
"$tmp/venv/bin/python" -m pip uninstall -y portalis >/dev/null
echo "python_install: 1 passed"
