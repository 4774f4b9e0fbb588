"""The Kit-independent part of the Portalis Kit extension: finds the Wasm
prims of a scene, runs them with the portalis package's Simulation (the C
host: docs/host.md), turns modules on and off, and reports values to write
back and a performance overlay. Kit's glue (extension.py) only feeds it the
stage file and update events and draws what it returns; everything here
runs, and is tested, without Kit.

Turning a module off or on writes an override layer (a small .usda whose
sublayer is the scene, holding `over` prims with `wasm:enabled`) that the
simulation runs instead of the scene, and rebuilds the run from it: the
scene file is never edited.
"""
import os
import tempfile
import time
from dataclasses import dataclass, field

import portalis
from portalis.usd import Usd


@dataclass
class ModuleEntry:
    """A Wasm prim of the scene and what the runtime knows of it."""
    prim_path: str
    schema: str
    module_id: str
    wasm_path: str
    entry_function: str
    execution_mode: str
    update_rate: float
    enabled: bool
    state: str = "not loaded"
    steps: int = 0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0
    memory_mb: float = 0.0
    last_error: str = ""
    outputs: list = field(default_factory=list)  # (prim_path, attribute) written back after each frame


def _quote(path):
    return path.replace("\\", "\\\\").replace("@", "\\@")


class WasmRuntime:
    """``scan(scene_path)``, then ``update(dt)`` on every update event:
    returns the values to write back, ``[(prim_path, attribute, value)]``.
    """

    def __init__(self, fps=0.0, tier="auto", budget_ms=100.0):
        self.fps, self.tier, self.budget_ms = fps, tier, budget_ms
        self.scene = None
        self.modules = {}          # prim path -> ModuleEntry
        self.sim = None
        self._frame_dt = 1.0 / 60
        self._accum = 0.0
        self._tmp = None
        self._frame_ms = []
        self.errors = []

    # ---- scanning ---------------------------------------------------------

    def scan(self, scene_path):
        """Reads the scene's Wasm prims and starts a run of them. Returns the
        number of modules found. A scene that cannot be read raises OSError
        or portalis.UsdError (file:line:column); the previous run is kept."""
        stage = Usd.Stage.Open(scene_path)
        modules = {}
        for prim in stage.Traverse():
            if prim.GetTypeName() and prim.IsA("WasmModule"):
                modules[prim.GetPath()] = self._entry(prim)
        self._connect_outputs(stage, modules)
        previous = self.modules
        for path, entry in modules.items():  # toggles survive a rescan
            if path in previous and previous[path].enabled != entry.enabled:
                entry.enabled = previous[path].enabled
        self.scene, self.modules = os.path.abspath(scene_path), modules
        self._restart()
        return len(modules)

    @staticmethod
    def _entry(prim):
        info = prim.GetWasmModule()
        results = prim.GetAttribute("wasm:results").Get() or []
        return ModuleEntry(prim.GetPath(), info["type_name"], info["module_id"], info["wasm_path_resolved"] or "",
                           info["entry_function"], info["execution_mode"], info["update_rate"], info["enabled"],
                           outputs=[(prim.GetPath(), name) for name in results])

    @staticmethod
    def _connect_outputs(stage, modules):
        """Attributes connected to a module's attribute get its value too
        (a projectile's translate connected to the controller's position)."""
        for prim in stage.Traverse():
            for attr in prim.GetAttributes():
                for target in attr.GetConnections():
                    owner = target.rsplit(".", 1)[0]
                    if owner in modules:
                        modules[owner].outputs.append((prim.GetPath(), attr.GetName()))

    # ---- enable toggles ---------------------------------------------------------

    def set_enabled(self, prim_path, enabled):
        """Turns a module on or off (an override layer; the run is rebuilt,
        recorded frames are kept)."""
        entry = self.modules[prim_path]
        if entry.enabled != bool(enabled):
            entry.enabled = bool(enabled)
            self._restart()

    def _overlay_text(self):
        lines = ["#usda 1.0", "(", f"    subLayers = [@{_quote(self.scene)}@]", ")", ""]
        for path, entry in self.modules.items():
            names = path.strip("/").split("/")
            for depth, name in enumerate(names):
                lines.append("    " * depth + f'over "{name}"')
                lines.append("    " * depth + "{")
            lines.append("    " * len(names) + f"uniform bool wasm:enabled = {'true' if entry.enabled else 'false'}")
            for depth in reversed(range(len(names))):
                lines.append("    " * depth + "}")
        return "\n".join(lines) + "\n"

    def _restart(self):
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="portalis-kit-")
        overlay = os.path.join(self._tmp.name, "enabled.usda")
        tmp = overlay + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(self._overlay_text())
        os.replace(tmp, overlay)
        options = {"fps": self.fps, "budget_ms": self.budget_ms, "record": False}
        if self.tier:
            options["tier"] = self.tier
        self.sim = portalis.Simulation(overlay, **options)
        self._frame_dt = 1.0 / (self.sim.report()["fps"] or 60.0)
        self._accum = 0.0
        self._refresh()

    # ---- running ----------------------------------------------------------------

    def update(self, dt, max_frames=4):
        """Advances by dt seconds (at most max_frames frames, so a stall does
        not snowball) and returns [(prim_path, attribute, value)] to write
        back: every output of a module that ran and every attribute connected
        to one."""
        if self.sim is None:
            return []
        self._accum += max(dt, 0.0)
        frames = 0
        while self._accum >= self._frame_dt and frames < max_frames:
            self._accum -= self._frame_dt
            t0 = time.perf_counter()
            self.sim.step()
            self._frame_ms.append((time.perf_counter() - t0) * 1e3)
            frames += 1
        if frames == max_frames:
            self._accum = 0.0
        if not frames:
            return []
        self._refresh()
        return self.values()

    def values(self):
        out = []
        for entry in self.modules.values():
            if not entry.enabled or entry.state != "active":
                continue
            for prim_path, attr in entry.outputs:
                try:
                    out.append((prim_path, attr, self.sim.get_value(prim_path, attr)))
                except KeyError:
                    pass  # not a channel of the run (e.g. an output the module never wrote)
        return out

    def _refresh(self):
        for info in self.sim.modules():
            entry = self.modules.get(info["prim_path"])
            if entry is None:
                continue
            entry.state = info["state"]
            entry.steps = info["steps"]
            entry.latency_p50_ms = info["latency"]["median_ms"]
            entry.latency_p99_ms = info["latency"]["p99_ms"]
            entry.memory_mb = info["memory_bytes"] / (1 << 20)
            entry.last_error = info["last_error"] or ""

    # ---- reporting --------------------------------------------------------------

    def overlay_lines(self):
        """The performance overlay: frame time and FPS equivalent of the
        modules' frames, then one line per module."""
        if self.sim is None:
            return ["no Wasm modules (Scan Stage for WASM Modules)"]
        recent = self._frame_ms[-120:]
        mean = sum(recent) / len(recent) if recent else 0.0
        fps = 1000.0 / mean if mean > 0 else 0.0
        lines = [f"frame {self.sim.frame}: {mean:.3f} ms ({fps:,.0f} FPS equivalent)"]
        for entry in self.modules.values():
            state = entry.state if entry.enabled else "off"
            lines.append(f"{entry.prim_path}  {state}  p50 {entry.latency_p50_ms:.3f} ms  "
                         f"p99 {entry.latency_p99_ms:.3f} ms  {entry.memory_mb:.1f} MB")
        return lines

    def close(self):
        self.sim = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
