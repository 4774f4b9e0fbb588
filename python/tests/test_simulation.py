"""portalis.Simulation on the projectile demonstration: frames, progress,
outputs compared with the demo's Python reference, the report, the
recording."""
import os
import sys
import tempfile
import unittest

import portalis
from support import path


def reference():
    sys.path.insert(0, path("PORTALIS_TEST_PROJECTILE_PY"))
    import projectile
    return projectile


class SimulationTest(unittest.TestCase):
    def setUp(self):
        self.scene = path("PORTALIS_TEST_PROJECTILE_SCENE")

    def test_run_with_progress_and_compare_to_reference(self):
        sim = portalis.Simulation(self.scene)
        seen = []
        self.assertTrue(sim.run(90, progress=lambda done, total: seen.append((done, total))))
        self.assertEqual(seen[0], (1, 90))
        self.assertEqual(seen[-1], (90, 90))
        self.assertEqual(sim.frame, 90)
        self.assertAlmostEqual(sim.time, 90 / 60)
        # frame 89 ran at t = 89/60 s: v = 20, angle = 45 (the scene's inputs)
        want = reference().calculate_trajectory(20.0, 45.0, 89 / 60)
        got = sim.get_value("/World/Controller", "outputs:position")
        for g, w in zip(got, want):
            self.assertAlmostEqual(g, w, places=9)
        self.assertEqual(sim.get_value("/World/Controller", "inputs:v"), 20.0)
        with self.assertRaises(KeyError):
            sim.get_value("/World/Controller", "outputs:nothing")

    def test_step_report_modules_save(self):
        sim = portalis.Simulation(self.scene, fps=30)
        self.assertTrue(sim.step())
        self.assertEqual(sim.frame, 1)
        sim.run(9)
        report = sim.report()
        self.assertEqual(report["frames"], 10)
        self.assertEqual(report["fps"], 30)
        self.assertEqual((report["modules"], report["failed_modules"]), (1, 0))
        self.assertGreater(report["frame_time"]["mean_ms"], 0)
        self.assertGreater(report["load_ms"], 0)
        [mod] = sim.modules()
        self.assertEqual((mod["prim_path"], mod["schema"], mod["state"]), ("/World/Controller", "WasmPhysics",
                                                                           "active"))
        self.assertEqual(mod["runs"], 10)
        self.assertGreaterEqual(mod["steps"], 10)  # updateRate 60 Hz at 30 fps: substeps
        self.assertGreater(mod["latency"]["p99_ms"], 0)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.usda")
            sim.save(out)
            stage = portalis.usd.Usd.Stage.Open(out)
            attr = stage.GetPrimAtPath("/World/Controller").GetAttribute("outputs:position")
            self.assertEqual(len(attr.GetTimeSamples()), 10)
        with self.assertRaises(OSError):
            sim.save(self.scene)  # would overwrite an input of the run
        with self.assertRaises(KeyError):
            sim.trigger("/World/Nothing")

    def test_progress_exception_stops_the_run(self):
        sim = portalis.Simulation(self.scene)

        def stop(done, total):
            if done == 3:
                raise RuntimeError("stop here")

        with self.assertRaises(RuntimeError):
            sim.run(100, progress=stop)
        self.assertEqual(sim.frame, 3)

    def test_bad_scene(self):
        with self.assertRaises(portalis.Error):
            portalis.Simulation("/nonexistent/scene.usda")


if __name__ == "__main__":
    unittest.main()
