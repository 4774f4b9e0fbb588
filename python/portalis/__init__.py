"""Portalis from Python: run sandboxed WebAssembly modules (the
specification's ``WasmtimeBridge`` API), author and read USD scenes
(:mod:`portalis.usd`) and run them frame by frame (:class:`Simulation`).

Everything is a thin layer over the C library (libportalis) through the
extension module ``portalis._portalis``; calls into wasm release the GIL.
See python/README.md for the API, thread safety and installation.
"""
from ._portalis import (  # noqa: F401  (re-exported)
    ArgumentError,
    BudgetExceeded,
    Error,
    ExportError,
    Function,
    LinkError,
    LoadError,
    Memory,
    ModuleNotLoaded,
    Trap,
    UsdError,
)
from .bridge import WasmModuleConfig, WasmtimeBridge  # noqa: F401
from .simulation import Simulation  # noqa: F401
from . import usd  # noqa: F401

__version__ = "0.1.0"
__all__ = [
    "WasmModuleConfig", "WasmtimeBridge", "Simulation", "Function", "Memory", "usd",
    "Error", "LoadError", "LinkError", "Trap", "BudgetExceeded", "ArgumentError", "ExportError",
    "ModuleNotLoaded", "UsdError",
]
