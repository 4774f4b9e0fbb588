"""Kit glue of the Portalis WASM Runtime: thin on purpose. It gives the
runtime (runtime.py, tested without Kit) the stage's file and Kit's update
events, writes the values it returns onto the stage, and draws the window:
the module list with enable toggles, "Scan Stage for WASM Modules" and the
performance overlay."""
import os
import tempfile

import carb
import carb.settings
import omni.ext
import omni.kit.app
import omni.timeline
import omni.ui as ui
import omni.usd

import portalis

from .runtime import WasmRuntime

_SETTINGS = "/exts/portalis.wasm.runtime"
_instance = None


def get_extension():
    """The running extension (the specification's ``ext``): ``ext._wasm_bridge``
    is a portalis.WasmtimeBridge for scripts, ``ext._active_modules`` the
    scanned modules by prim path."""
    return _instance


class PortalisWasmExtension(omni.ext.IExt):
    def on_startup(self, ext_id):
        global _instance
        settings = carb.settings.get_settings()
        self._follow_timeline = bool(settings.get(f"{_SETTINGS}/follow_timeline"))
        self._runtime = WasmRuntime(fps=float(settings.get(f"{_SETTINGS}/fps") or 0.0),
                                    tier=settings.get(f"{_SETTINGS}/tier") or "auto")
        self._wasm_bridge = portalis.WasmtimeBridge()
        self._active_modules = self._runtime.modules
        self._export_dir = tempfile.TemporaryDirectory(prefix="portalis-kit-stage-")
        self._overlay = None
        self._window = ui.Window("Portalis WASM Runtime", width=460, height=380)
        self._window.frame.set_build_fn(self._build_window)
        self._update_sub = omni.kit.app.get_app().get_update_event_stream().create_subscription_to_pop(
            self._on_update, name="portalis.wasm.runtime update")
        self._stage_sub = omni.usd.get_context().get_stage_event_stream().create_subscription_to_pop(
            self._on_stage_event, name="portalis.wasm.runtime stage")
        _instance = self
        self.scan_stage()

    # ---- the stage --------------------------------------------------------------

    def _stage_file(self, stage):
        """The stage as a file the portalis package reads: the root layer's
        own file when saved, else its text exported next to nothing (asset
        paths then resolve from the current directory)."""
        layer = stage.GetRootLayer()
        if layer.realPath and not layer.dirty and layer.realPath.endswith((".usda", ".usd")):
            return layer.realPath
        path = os.path.join(self._export_dir.name, "stage.usda")
        layer.Export(path)
        return path

    def scan_stage(self):
        stage = omni.usd.get_context().get_stage()
        if stage is None:
            return
        try:
            self._runtime.scan(self._stage_file(stage))
        except (portalis.Error, OSError) as e:
            carb.log_error(f"portalis: {e}")
        self._active_modules = self._runtime.modules
        self._window.frame.rebuild()

    def _on_stage_event(self, event):
        if event.type == int(omni.usd.StageEventType.OPENED):
            self.scan_stage()

    def _on_update(self, event):
        if self._follow_timeline and not omni.timeline.get_timeline_interface().is_playing():
            return
        stage = omni.usd.get_context().get_stage()
        values = self._runtime.update(event.payload["dt"])
        for prim_path, attr_name, value in values:
            prim = stage.GetPrimAtPath(prim_path) if stage else None
            attr = prim.GetAttribute(attr_name) if prim else None
            if attr:
                attr.Set(value)
        if values and self._overlay is not None:
            self._overlay.text = "\n".join(self._runtime.overlay_lines())

    # ---- the window -----------------------------------------------------------------

    def _toggle(self, prim_path, model):
        self._runtime.set_enabled(prim_path, model.get_value_as_bool())

    def _build_window(self):
        """The frame's build function (rebuilt after each scan)."""
        with ui.ScrollingFrame():
            with ui.VStack(spacing=4):
                ui.Button("Scan Stage for WASM Modules", height=28, clicked_fn=self.scan_stage)
                for path, entry in self._runtime.modules.items():
                    with ui.HStack(height=22):
                        box = ui.CheckBox(width=24)
                        box.model.set_value(entry.enabled)
                        box.model.add_value_changed_fn(lambda m, p=path: self._toggle(p, m))
                        ui.Label(f"{path}  ({entry.schema}, {entry.entry_function})")
                self._overlay = ui.Label("\n".join(self._runtime.overlay_lines()), word_wrap=True)

    def on_shutdown(self):
        global _instance
        self._update_sub = None
        self._stage_sub = None
        if self._window is not None:
            self._window.destroy()
            self._window = None
        self._runtime.close()
        self._export_dir.cleanup()
        _instance = None
