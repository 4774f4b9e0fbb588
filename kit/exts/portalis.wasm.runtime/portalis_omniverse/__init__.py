"""Portalis WASM Runtime for Omniverse Kit (`import portalis_omniverse`).

``runtime.WasmRuntime`` is the Kit-independent part; inside Kit (when
``omni.ext`` can be imported) the extension class is imported too, so Kit
finds its ``omni.ext.IExt`` subclass here.
"""
from .runtime import ModuleEntry, WasmRuntime  # noqa: F401

try:
    import omni.ext  # noqa: F401
except ImportError:  # outside Kit: the runtime alone
    pass
else:
    from .extension import PortalisWasmExtension, get_extension  # noqa: F401
