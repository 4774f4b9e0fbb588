"""The specification's Python examples (../shared/spec, sections "API
Reference", "USD Schema Reference", "Creating New WASM Modules" and
"Adding Custom USD Schemas") run on real modules with real statistics.
Each snippet is kept here as the specification writes it; only `from pxr
import Usd` becomes `from portalis.usd import Usd`, and the custom schema
snippet, which has no import line, gets one. When the specification is
beside the clone, the snippets are checked to be its text."""
import contextlib
import io
import os
import shutil
import tempfile
import textwrap
import unittest

from support import calc_wasm, path

API_REFERENCE = '''
from wasm_bridge import WasmtimeBridge, WasmModuleConfig

# Create bridge
config = WasmModuleConfig(
    max_memory_mb=512,
    enable_wasi=True,
    cache_enabled=True
)
bridge = WasmtimeBridge(config)

# Load module
module_id = bridge.load_module("module.wasm")

# Call function
result = bridge.call_function(module_id, "calculate", 1.0, 2.0)

# Get statistics
stats = bridge.get_performance_stats()
print(f"Avg execution: {stats['avg_execution_time_ms']:.3f}ms")
'''

WRITE_PYTHON_FUNCTION = '''
def my_function(x: float, y: float) -> float:
    return x * y + x / y
'''

TEST_IN_OMNIVERSE = '''
bridge.load_module("target/wasm32-unknown-unknown/release/my_function.wasm")
result = bridge.call_function("my_function", "my_function", 10.0, 5.0)
'''

MODULE_SCHEMA = '''
from pxr import Usd
from usd_schemas import create_wasm_module_prim

stage = Usd.Stage.CreateNew("scene.usd")

# Create WASM module prim
wasm_prim = create_wasm_module_prim(
    stage=stage,
    path="/World/MyWasmModule",
    wasm_path="./my_module.wasm",
    module_id="my_module",
    entry_function="update",
    schema_type="base"
)
'''

PHYSICS_SCHEMA = '''
from usd_schemas import WasmPhysicsSchema

physics_prim = WasmPhysicsSchema.Define(stage, "/World/PhysicsController")
'''

ROBOTICS_SCHEMA = '''
from usd_schemas import WasmRoboticsSchema

robot_prim = WasmRoboticsSchema.Define(stage, "/World/RobotController", num_joints=6)
'''

CUSTOM_SCHEMA = '''
class WasmCustomSchema:
    SCHEMA_TYPE = "WasmCustom"
    ATTR_CUSTOM_PARAM = "customParam"

    @staticmethod
    def Define(stage, path):
        prim = WasmModuleSchema.Define(stage, path)
        prim.CreateAttribute(
            WasmCustomSchema.ATTR_CUSTOM_PARAM,
            Sdf.ValueTypeNames.Float
        ).Set(1.0)
        return prim
'''

PXR_IMPORT = "from pxr import Usd"
OUR_IMPORT = "from portalis.usd import Usd"


def run(snippet, scope, replace=None):
    code = textwrap.dedent(snippet)
    if replace:
        code = code.replace(*replace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<specification>", "exec"), scope)  # noqa: S102  (the specification's own code)
    return out.getvalue()


class SpecExamplesTest(unittest.TestCase):
    def setUp(self):
        self.cwd = os.getcwd()
        self.dir = tempfile.TemporaryDirectory()
        os.chdir(self.dir.name)

    def tearDown(self):
        os.chdir(self.cwd)
        self.dir.cleanup()

    def test_api_reference(self):
        shutil.copy(calc_wasm(), "module.wasm")  # calculate(x, y) = x * y + x / y
        scope = {}
        printed = run(API_REFERENCE, scope)
        self.assertEqual(scope["module_id"], "module")
        self.assertEqual(scope["result"], 2.5)
        stats = scope["stats"]
        self.assertEqual(stats["total_calls"], 1)
        self.assertGreater(stats["avg_execution_time_ms"], 0)
        self.assertEqual(printed, f"Avg execution: {stats['avg_execution_time_ms']:.3f}ms\n")
        self.assertEqual(scope["bridge"].config.max_memory_mb, 512)

    def test_creating_new_wasm_modules(self):
        target = os.path.join("target", "wasm32-unknown-unknown", "release")
        os.makedirs(target)
        shutil.copy(path("PORTALIS_TEST_MY_FUNCTION"), os.path.join(target, "my_function.wasm"))
        scope = {}
        run(WRITE_PYTHON_FUNCTION, scope)
        from wasm_bridge import WasmtimeBridge
        scope["bridge"] = WasmtimeBridge()
        run(TEST_IN_OMNIVERSE, scope)
        self.assertEqual(scope["result"], scope["my_function"](10.0, 5.0))
        self.assertEqual(scope["result"], 52.0)
        calls = scope["bridge"].get_performance_stats()["modules"]["my_function"]["functions"]["my_function"]
        self.assertEqual(calls["calls"], 1)

    def test_usd_schema_reference(self):
        scope = {}
        run(MODULE_SCHEMA, scope, (PXR_IMPORT, OUR_IMPORT))
        run(PHYSICS_SCHEMA, scope)
        run(ROBOTICS_SCHEMA, scope)
        scope["stage"].Save()
        from portalis.usd import Usd
        stage = Usd.Stage.Open("scene.usd")
        module = stage.GetPrimAtPath("/World/MyWasmModule").GetWasmModule()
        self.assertEqual((module["type_name"], module["module_id"], module["entry_function"], module["wasm_path"]),
                         ("WasmModule", "my_module", "update", "./my_module.wasm"))
        self.assertEqual(stage.GetPrimAtPath("/World/PhysicsController").GetTypeName(), "WasmPhysics")
        robot = stage.GetPrimAtPath("/World/RobotController")
        self.assertEqual(robot.GetAttribute("wasm:jointTargets").Get(), [0.0] * 6)

    def test_adding_custom_usd_schemas(self):
        from portalis.usd import Sdf, Usd, WasmModuleSchema
        scope = {"Sdf": Sdf, "WasmModuleSchema": WasmModuleSchema}  # the snippet's missing import line
        run(CUSTOM_SCHEMA, scope)
        stage = Usd.Stage.CreateInMemory()
        prim = scope["WasmCustomSchema"].Define(stage, "/World/Custom")
        self.assertEqual(prim.GetAttribute("customParam").Get(), 1.0)
        self.assertEqual(prim.GetTypeName(), "WasmModule")

    def test_snippets_are_the_specification_text(self):
        spec = os.environ.get("PORTALIS_SPEC_FILE", "")
        if not os.path.isfile(spec):
            self.skipTest("the specification is not beside the clone (../shared/spec)")
        with open(spec, encoding="utf-8") as f:
            text = "\n".join(line.strip() for line in f.read().splitlines())
        for snippet in (API_REFERENCE, WRITE_PYTHON_FUNCTION, TEST_IN_OMNIVERSE, MODULE_SCHEMA, PHYSICS_SCHEMA,
                        ROBOTICS_SCHEMA, CUSTOM_SCHEMA):
            flat = "\n".join(line.strip() for line in snippet.strip().splitlines())
            self.assertIn(flat, text)


if __name__ == "__main__":
    unittest.main()
