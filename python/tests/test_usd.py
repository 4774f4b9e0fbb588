"""portalis.usd: stages, prims, attributes, time samples and the Wasm schema
helpers over the C USD layer."""
import os
import tempfile
import unittest

import portalis
from portalis.usd import (Sdf, Usd, WasmFluidSchema, WasmModuleSchema, WasmPhysicsSchema, WasmRoboticsSchema,
                          create_wasm_module_prim, register_schema)


class UsdTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "scene.usda")

    def tearDown(self):
        self.dir.cleanup()

    def test_author_save_and_open(self):
        stage = Usd.Stage.CreateNew(self.path)
        stage.SetStartTimeCode(0)
        stage.SetEndTimeCode(10)
        world = stage.DefinePrim("/World", "Xform")
        stage.SetDefaultPrim(world)
        ball = stage.DefinePrim("/World/Ball", "Sphere")
        radius = ball.CreateAttribute("radius", Sdf.ValueTypeNames.Double)
        radius.Set(0.5)
        pos = ball.CreateAttribute("xformOp:translate", Sdf.ValueTypeNames.Double3)
        pos.Set((0, 0, 1), 0)
        pos.Set((10, 0, 1), 10)
        ball.CreateAttribute("tags", Sdf.ValueTypeNames.TokenArray).Set(["a", "b"])
        ball.CreateAttribute("pts", Sdf.ValueTypeNames.Point3fArray).Set([(0, 0, 0), (1, 2, 3)])
        ball.CreateAttribute("on", Sdf.ValueTypeNames.Bool).Set(True)
        ball.CreateAttribute("n", Sdf.ValueTypeNames.Int).Set(7)
        try:
            import numpy
            ball.CreateAttribute("np", Sdf.ValueTypeNames.Float3Array).Set(numpy.ones((2, 3)))
            ball.CreateAttribute("np1", Sdf.ValueTypeNames.Double).Set(numpy.float64(2.5))
        except ImportError:  # numpy is optional
            numpy = None
        stage.Save()

        again = Usd.Stage.Open(self.path)
        b = again.GetPrimAtPath("/World/Ball")
        self.assertTrue(b.IsValid())
        self.assertEqual(b.GetTypeName(), "Sphere")
        self.assertEqual(b.GetAttribute("radius").Get(), 0.5)
        attr = b.GetAttribute("xformOp:translate")
        self.assertEqual(attr.GetTimeSamples(), [0.0, 10.0])
        self.assertEqual(attr.Get(5), (5.0, 0.0, 1.0))  # interpolated
        self.assertEqual(attr.GetTypeName(), "double3")
        self.assertEqual(b.GetAttribute("tags").Get(), ["a", "b"])
        self.assertEqual(b.GetAttribute("pts").Get(), [(0.0, 0.0, 0.0), (1.0, 2.0, 3.0)])
        self.assertIs(b.GetAttribute("on").Get(), True)
        self.assertEqual(b.GetAttribute("n").Get(), 7)
        if numpy is not None:
            self.assertEqual(b.GetAttribute("np").Get(), [(1.0, 1.0, 1.0)] * 2)
            self.assertEqual(b.GetAttribute("np1").Get(), 2.5)
        self.assertEqual(again.GetDefaultPrim().GetPath(), "/World")
        self.assertEqual(again.GetEndTimeCode(), 10)
        self.assertEqual([p.GetPath() for p in again.Traverse()], ["/World", "/World/Ball"])
        self.assertEqual([c.GetName() for c in again.GetPrimAtPath("/World").GetChildren()], ["Ball"])
        self.assertFalse(again.GetPrimAtPath("/Nope"))
        self.assertIsNone(b.GetAttribute("missing").Get())

    def test_errors(self):
        stage = Usd.Stage.CreateInMemory()
        prim = stage.DefinePrim("/A")
        with self.assertRaises(ValueError):
            prim.CreateAttribute("x", "flaot").Set(1.0)
        with self.assertRaises(ValueError):
            prim.CreateAttribute("v", Sdf.ValueTypeNames.Float3).Set((1, 2))
        with self.assertRaises(portalis.UsdError):
            prim.GetAttribute("undeclared").Set(1.0)
        with open(self.path, "w") as f:
            f.write("#usda 1.0\ndef Xform \"A\" {\n  double x = \n}\n")
        with self.assertRaises(portalis.UsdError) as cm:
            Usd.Stage.Open(self.path)
        self.assertIn("scene.usda:3:14: error", str(cm.exception))  # file:line:column
        with self.assertRaises(OSError):
            Usd.Stage.Open(os.path.join(self.dir.name, "missing.usda"))

    def test_wasm_schemas(self):
        stage = Usd.Stage.CreateNew(self.path)
        prim = create_wasm_module_prim(stage, "/World/M", "./m.wasm", "m", "update", "physics")
        self.assertEqual(prim.GetTypeName(), "WasmPhysics")
        self.assertTrue(prim.IsA(WasmModuleSchema))
        info = prim.GetWasmModule()
        self.assertEqual((info["module_id"], info["entry_function"], info["wasm_path"]), ("m", "update", "./m.wasm"))
        self.assertEqual(info["wasm_path_resolved"], os.path.join(self.dir.name, "m.wasm"))
        phys = WasmPhysicsSchema.Define(stage, "/World/P", forceMultiplier=2.0)
        self.assertEqual(phys.GetAttribute(WasmPhysicsSchema.ATTR_FORCE_MULTIPLIER).Get(), 2.0)
        gravity = phys.GetAttribute(WasmPhysicsSchema.ATTR_GRAVITY_OVERRIDE).Get()
        self.assertEqual(gravity[:2], (0.0, 0.0))
        self.assertAlmostEqual(gravity[2], -9.81, places=5)  # a float3
        robot = WasmRoboticsSchema.Define(stage, "/World/R", num_joints=4)
        self.assertEqual(robot.GetAttribute(WasmRoboticsSchema.ATTR_JOINT_TARGETS).Get(), [0.0] * 4)
        fluid = WasmFluidSchema.Define(stage, "/World/F")
        self.assertEqual(fluid.GetAttribute("wasm:gridResolution").Get(), (64, 64, 64))
        with self.assertRaises(portalis.UsdError):
            WasmPhysicsSchema.Define(stage, "/World/Q", noSuchAttribute=1)
        with self.assertRaises(portalis.UsdError):
            create_wasm_module_prim(stage, "/World/X", "x.wasm", "x", "update", "Mesh")  # not a Wasm schema
        stage.Save()
        with open(self.path) as f:
            text = f.read()
        self.assertIn('def WasmRobotics "R"', text)
        self.assertIn("WasmPhysics = [\"Scope\"]", text)  # fallbackPrimTypes for tools without the plugin

    def test_custom_schema(self):
        custom = register_schema("WasmThermal", "WasmModule",
                                 [("wasm:setpoint", "float", False, "21.5", "Target temperature.")])
        stage = Usd.Stage.CreateInMemory()
        prim = custom.Define(stage, "/World/T")
        self.assertEqual(prim.GetTypeName(), "WasmThermal")
        self.assertEqual(prim.GetAttribute("wasm:setpoint").Get(), 21.5)
        self.assertTrue(prim.IsA("WasmModule"))


if __name__ == "__main__":
    unittest.main()
