"""The Kit extension (kit/exts/portalis.wasm.runtime): its Kit-independent
runtime run for real on the projectile scene, its manifest checked, and its
Kit glue byte-compiled and driven through a TEST STUB of the omni/carb
modules (KitStub below: Kit is not installed here; the stub only records
what the glue asks of Kit, it is not shipped)."""
import os
import py_compile
import sys
import tempfile
try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None
import types
import unittest

from support import path

EXT = path("PORTALIS_KIT_EXT") if os.environ.get("PORTALIS_KIT_EXT") else None
if EXT:
    sys.path.insert(0, EXT)


def reference():
    sys.path.insert(0, path("PORTALIS_TEST_PROJECTILE_PY"))
    import projectile
    return projectile


class RuntimeTest(unittest.TestCase):
    def setUp(self):
        from portalis_omniverse.runtime import WasmRuntime
        self.scene = path("PORTALIS_TEST_PROJECTILE_SCENE")
        self.rt = WasmRuntime(fps=60, tier="interp")
        self.addCleanup(self.rt.close)

    def test_scan_run_and_write_back(self):
        self.assertEqual(self.rt.scan(self.scene), 1)
        entry = self.rt.modules["/World/Controller"]
        self.assertEqual((entry.schema, entry.entry_function, entry.state), ("WasmPhysics", "calculate_trajectory",
                                                                             "active"))
        self.assertTrue(entry.wasm_path.endswith("projectile_c.wasm"))
        self.assertIn(("/World/Projectile", "xformOp:translate"), entry.outputs)
        self.assertEqual(self.rt.update(0.5 / 60), [])  # not a whole frame yet
        values = {}
        for _ in range(30):
            values.update({(p, a): v for p, a, v in self.rt.update(1 / 60)})
        # 30 frames ran: the last at t = 29/60 s
        want = reference().calculate_trajectory(20.0, 45.0, 29 / 60)
        got = values[("/World/Projectile", "xformOp:translate")]
        for g, w in zip(got, want):
            self.assertAlmostEqual(g, w, places=9)
        self.assertEqual(values[("/World/Controller", "outputs:position")], got)
        self.assertGreater(entry.steps, 0)
        lines = self.rt.overlay_lines()
        self.assertIn("FPS equivalent", lines[0])
        self.assertTrue(lines[1].startswith("/World/Controller  active  p50 "))

    def test_a_stall_runs_a_bounded_number_of_frames(self):
        self.rt.scan(self.scene)
        self.rt.update(10.0)  # ten seconds at once: at most 4 frames
        self.assertEqual(self.rt.sim.frame, 4)

    def test_enable_toggle(self):
        self.rt.scan(self.scene)
        self.rt.update(1 / 60)
        self.rt.set_enabled("/World/Controller", False)
        self.assertEqual(self.rt.modules["/World/Controller"].state, "disabled")
        self.assertEqual(self.rt.update(1 / 60), [])  # nothing runs, nothing to write
        self.assertIn("off", self.rt.overlay_lines()[1])
        self.rt.scan(self.scene)  # a rescan keeps the toggle
        self.assertFalse(self.rt.modules["/World/Controller"].enabled)
        self.rt.set_enabled("/World/Controller", True)
        self.assertEqual(self.rt.modules["/World/Controller"].state, "active")
        self.assertTrue(self.rt.update(1 / 60))

    def test_bad_scene_keeps_the_previous_run(self):
        import portalis
        self.rt.scan(self.scene)
        with self.assertRaises(OSError):
            self.rt.scan("/nonexistent/scene.usda")
        bad = os.path.join(self.rt._tmp.name, "bad.usda")
        with open(bad, "w") as f:
            f.write("#usda 1.0\ndef Xform \"A\" {\n  double x = \n}\n")
        with self.assertRaises(portalis.UsdError):
            self.rt.scan(bad)
        self.assertEqual(list(self.rt.modules), ["/World/Controller"])


class ManifestTest(unittest.TestCase):
    def test_extension_toml(self):
        if tomllib is None:
            self.skipTest("tomllib needs Python 3.11")
        with open(os.path.join(EXT, "config", "extension.toml"), "rb") as f:
            toml = tomllib.load(f)
        self.assertEqual(toml["package"]["title"], "Portalis WASM Runtime")
        for dep in ("omni.usd", "omni.ui", "omni.kit.uiapp"):
            self.assertIn(dep, toml["dependencies"])
        [module] = toml["python.module"] if "python.module" in toml else toml["python"]["module"]
        self.assertEqual(module["name"], "portalis_omniverse")
        self.assertTrue(os.path.isfile(os.path.join(EXT, "portalis_omniverse", "__init__.py")))
        for doc in ("readme", "changelog"):
            self.assertTrue(os.path.isfile(os.path.join(EXT, toml["package"][doc])), doc)

    def test_every_file_byte_compiles(self):
        folder = os.path.join(EXT, "portalis_omniverse")
        with tempfile.TemporaryDirectory() as out:
            for name in os.listdir(folder):
                if name.endswith(".py"):
                    py_compile.compile(os.path.join(folder, name), cfile=os.path.join(out, name + "c"), doraise=True)


class KitStub:
    """TEST STUB of the parts of Kit the glue uses (omni.ext, omni.kit.app,
    omni.usd, omni.ui, omni.timeline, carb): records subscriptions, the
    widgets built and the values set on a pxr-like stage. Not Kit."""

    def __init__(self, scene):
        self.scene, self.playing = scene, True
        self.subscriptions, self.widgets, self.set_values, self.errors = [], [], [], []
        self.modules = {}

    def install(self):
        stub = self
        names = ["omni", "omni.ext", "omni.kit", "omni.kit.app", "omni.usd", "omni.ui", "omni.timeline", "carb",
                 "carb.settings"]
        mods = {n: types.ModuleType(n) for n in names}

        class IExt:
            pass

        class Subscription:
            def __init__(self, fn):
                self.fn = fn
                stub.subscriptions.append(self)

        class Stream:
            def create_subscription_to_pop(self, fn, name=""):
                return Subscription(fn)

        class Attr:
            def __init__(self, prim, name):
                self.prim, self.name = prim, name

            def __bool__(self):
                return True

            def Set(self, value):
                stub.set_values.append((self.prim, self.name, value))

        class Prim:
            def __init__(self, p):
                self.p = p

            def __bool__(self):
                return True

            def GetAttribute(self, name):
                return Attr(self.p, name)

        class Layer:
            realPath, dirty = stub.scene, False

        class Stage:
            def GetRootLayer(self):
                return Layer()

            def GetPrimAtPath(self, p):
                return Prim(p)

        class Context:
            def get_stage(self):
                return Stage()

            def get_stage_event_stream(self):
                return Stream()

        class Widget:
            def __init__(self, *args, **kw):
                stub.widgets.append((type(self).__name__, args, kw))
                self.model = self
                self.frame = self
                self.text = ""
                self._value = False
                self.build_fn = None

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def set_value(self, v):
                self._value = v

            def get_value_as_bool(self):
                return self._value

            def add_value_changed_fn(self, fn):
                self.changed = fn

            def set_build_fn(self, fn):
                self.build_fn = fn
                fn()

            def rebuild(self):
                self.build_fn()

            def destroy(self):
                stub.widgets.append(("destroyed", (), {}))

        for w in ("Window", "VStack", "HStack", "ScrollingFrame", "Button", "CheckBox", "Label"):
            setattr(mods["omni.ui"], w, type(w, (Widget,), {}))
        mods["omni.ext"].IExt = IExt
        mods["omni.kit.app"].get_app = lambda: types.SimpleNamespace(get_update_event_stream=Stream)
        mods["omni.usd"].get_context = Context
        mods["omni.usd"].StageEventType = types.SimpleNamespace(OPENED=1)
        mods["omni.timeline"].get_timeline_interface = lambda: types.SimpleNamespace(
            is_playing=lambda: stub.playing)
        settings = {"/exts/portalis.wasm.runtime/follow_timeline": True, "/exts/portalis.wasm.runtime/tier": "interp"}
        mods["carb.settings"].get_settings = lambda: types.SimpleNamespace(get=settings.get)
        mods["carb"].settings = mods["carb.settings"]
        mods["carb"].log_error = stub.errors.append
        mods["omni"].ext, mods["omni"].usd, mods["omni"].ui = mods["omni.ext"], mods["omni.usd"], mods["omni.ui"]
        mods["omni"].kit, mods["omni"].timeline = mods["omni.kit"], mods["omni.timeline"]
        mods["omni.kit"].app = mods["omni.kit.app"]
        saved = {n: sys.modules.get(n) for n in names}
        sys.modules.update(mods)
        return saved


class KitGlueTest(unittest.TestCase):
    def setUp(self):
        self.kit = KitStub(path("PORTALIS_TEST_PROJECTILE_SCENE"))
        saved = self.kit.install()
        for name in [n for n in sys.modules if n.startswith("portalis_omniverse")]:
            del sys.modules[name]

        def restore():
            for n, m in saved.items():
                if m is None:
                    sys.modules.pop(n, None)
                else:
                    sys.modules[n] = m
            for name in [n for n in sys.modules if n.startswith("portalis_omniverse")]:
                del sys.modules[name]
        self.addCleanup(restore)

    def test_startup_update_toggle_shutdown(self):
        import portalis_omniverse
        ext = portalis_omniverse.PortalisWasmExtension()
        ext.on_startup("portalis.wasm.runtime-0.1.0")
        self.assertIs(portalis_omniverse.get_extension(), ext)
        self.assertIn("/World/Controller", ext._active_modules)  # the specification's names
        self.assertEqual(ext._wasm_bridge.list_modules(), [])
        kinds = [w[0] for w in self.kit.widgets]
        self.assertIn("CheckBox", kinds)
        buttons = [w for w in self.kit.widgets if w[0] == "Button"]
        self.assertEqual(buttons[0][1][0], "Scan Stage for WASM Modules")
        update = self.kit.subscriptions[0].fn
        for _ in range(3):
            update(types.SimpleNamespace(payload={"dt": 1 / 60}))
        written = {(p, a) for p, a, _ in self.kit.set_values}
        self.assertIn(("/World/Projectile", "xformOp:translate"), written)
        self.kit.playing, n = False, len(self.kit.set_values)
        update(types.SimpleNamespace(payload={"dt": 1 / 60}))
        self.assertEqual(len(self.kit.set_values), n)  # paused timeline: nothing runs
        ext._toggle("/World/Controller", types.SimpleNamespace(get_value_as_bool=lambda: False))
        self.assertEqual(ext._active_modules["/World/Controller"].state, "disabled")
        buttons[0][2]["clicked_fn"]()  # rescan
        ext.on_shutdown()
        self.assertIsNone(portalis_omniverse.get_extension())
        self.assertIn(("destroyed", (), {}), self.kit.widgets)
        self.assertEqual(self.kit.errors, [])


if __name__ == "__main__":
    unittest.main()
