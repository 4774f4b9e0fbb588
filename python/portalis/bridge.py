"""The specification's ``WasmModuleConfig`` and ``WasmtimeBridge``."""
from dataclasses import dataclass, asdict

from ._portalis import _Bridge


@dataclass
class WasmModuleConfig:
    """Limits and options of a bridge (the specification's names first).

    max_memory_mb: linear memory cap per module; enable_wasi: link WASI for
    modules importing it; cache_enabled: share decoded modules by content;
    call_deadline_ms / call_fuel: budget per call (0 = none; past it the call
    raises BudgetExceeded); max_call_depth: 0 = the engine's default;
    collect_stats: time every call; tier: "interp", "native" or "auto";
    release_gil: "auto" releases the GIL during a call unless the
    function's previous call was short (under ~50 us), "always" during
    every call (python/README.md, Threads and the GIL).
    """
    max_memory_mb: int = 256
    enable_wasi: bool = True
    cache_enabled: bool = True
    call_deadline_ms: float = 0.0
    call_fuel: int = 0
    max_call_depth: int = 0
    collect_stats: bool = True
    tier: str = "interp"
    release_gil: str = "auto"


def _ms(ns):
    return ns / 1e6


def _function_stats(s):
    return {
        "calls": s["calls"],
        "errors": s["errors"],
        "total_execution_time_ms": _ms(s["total_ns"]),
        "avg_execution_time_ms": _ms(s["mean_ns"]),
        "p50_execution_time_ms": _ms(s["median_ns"]),
        "p99_execution_time_ms": _ms(s["p99_ns"]),
        "max_execution_time_ms": _ms(s["max_ns"]),
    }


class WasmtimeBridge(_Bridge):
    """Loads WebAssembly modules and calls their exported functions.

    ``bridge.load_module(path)`` returns the module id (the file's stem
    unless ``module_id=`` is given); ``bridge.call_function(module_id, name,
    *args)`` returns None, an int/float, or a tuple for several results.
    ``bridge.get_function(module_id, name)`` gives a callable resolved once
    (the fastest way to call). Errors raise portalis.LoadError, LinkError,
    Trap (``.kind``, ``.backtrace``), BudgetExceeded, ArgumentError,
    ExportError or ModuleNotLoaded.
    """

    def __init__(self, config=None, **options):
        cfg = asdict(config) if config is not None else {}
        cfg.update(options)
        super().__init__(**cfg)
        self.config = WasmModuleConfig(**cfg)

    def get_performance_stats(self):
        """The specification's statistics: totals over every module
        (``total_calls``, ``avg_execution_time_ms``, ...) and, under
        ``modules``, each module's load time, memory, tier and per function
        calls, errors, average, p50, p99 and max (milliseconds)."""
        raw = self.raw_stats()
        calls = sum(m["all"]["calls"] for m in raw.values())
        total_ns = sum(m["all"]["total_ns"] for m in raw.values())
        modules = {}
        for mid, m in raw.items():
            entry = _function_stats(m["all"])
            entry.update({
                "load_time_ms": _ms(m["load_ns"]),
                "cache_hit": m["cache_hit"],
                "memory_bytes": m["memory_bytes"],
                "memory_mb": m["memory_bytes"] / (1 << 20),
                "tier": m["tier"],
                "functions": {f: _function_stats(s) for f, s in m["functions"].items()},
            })
            modules[mid] = entry
        return {
            "loaded_modules": len(raw),
            "total_calls": calls,
            "total_errors": sum(m["all"]["errors"] for m in raw.values()),
            "total_execution_time_ms": _ms(total_ns),
            "avg_execution_time_ms": _ms(total_ns / calls) if calls else 0.0,
            "max_execution_time_ms": max((_ms(m["all"]["max_ns"]) for m in raw.values()), default=0.0),
            "total_load_time_ms": sum(_ms(m["load_ns"]) for m in raw.values()),
            "memory_bytes": sum(m["memory_bytes"] for m in raw.values()),
            "modules": modules,
        }

    def list_modules(self):
        """The loaded modules' ids, in load order."""
        return self.module_ids()

    def read_array(self, module_id, offset, count, dtype="f8"):
        """``count`` elements of ``dtype`` at byte ``offset`` of the module's
        memory, copied out: a numpy array when numpy is installed, else an
        array.array (dtype then a struct code such as "d" or "f")."""
        mem = self.memory(module_id)
        try:
            import numpy
        except ImportError:
            import array
            out = array.array({"f8": "d", "f4": "f", "i4": "i", "u1": "B"}.get(dtype, dtype))
            out.frombytes(mem.read(offset, count * out.itemsize))
            return out
        dt = numpy.dtype(dtype)
        return numpy.frombuffer(mem.read(offset, count * dt.itemsize), dtype=dt).copy()

    def write_array(self, module_id, offset, data):
        """Writes any buffer (bytes, array.array, a contiguous numpy array)
        at byte ``offset`` of the module's memory."""
        self.memory(module_id).write(offset, data)
