"""The specification's import name: ``from wasm_bridge import WasmtimeBridge,
WasmModuleConfig`` works unchanged (these are portalis's classes)."""
from portalis import (  # noqa: F401
    ArgumentError, BudgetExceeded, Error, ExportError, LinkError, LoadError, ModuleNotLoaded, Trap,
    WasmModuleConfig, WasmtimeBridge,
)
