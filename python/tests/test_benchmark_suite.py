"""benchmarks/performance_suite.py on a short run (--small: the demos'
small scenes and frame counts) of the projectile, fluid, LiDAR and
warehouse demos with their native C peers: its JSON against
benchmarks/results.schema.json, every plot a valid PNG (when matplotlib is
installed), the report's target lines, and --compare flagging a regression
beyond noise (and only then). Then `portalis bench`: scenes measured
without Python, and the suite run by the command, measuring through it."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import zlib

from support import path

TYPES = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float), "boolean": bool,
         "null": type(None)}


def validate(value, schema, root, where="$"):
    """The JSON Schema keywords results.schema.json uses: type, enum,
    required, properties, items, minimum, $ref (local)."""
    if "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return validate(value, node, root, where)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(isinstance(value, TYPES[k]) and not (k in ("integer", "number") and isinstance(value, bool))
                 for k in kinds)
        assert ok, f"{where}: {value!r} is not {kinds}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if "minimum" in schema:
        assert value >= schema["minimum"], f"{where}: {value} < {schema['minimum']}"
    for key in schema.get("required", []):
        assert key in value, f"{where}: missing {key!r}"
    for key, sub in schema.get("properties", {}).items():
        if isinstance(value, dict) and key in value:
            validate(value[key], sub, root, f"{where}.{key}")
    if "items" in schema and isinstance(value, list):
        for i, item in enumerate(value):
            validate(item, schema["items"], root, f"{where}[{i}]")


def check_png(file):
    """Signature, then every chunk's CRC, through IEND."""
    with open(file, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{file}: not a PNG"
    i, kinds = 8, []
    while i < len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        kind, body, crc = data[i + 4:i + 8], data[i + 8:i + 8 + n], data[i + 8 + n:i + 12 + n]
        assert zlib.crc32(kind + body) == int.from_bytes(crc, "big"), f"{file}: bad CRC in {kind!r}"
        kinds.append(kind)
        i += 12 + n
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds, f"{file}: chunks {kinds}"


DEMOS = ["projectile_trajectory", "warehouse_fleet", "lidar_processing", "fluid_dynamics"]
SMALL_FRAMES = {"projectile_trajectory": 8, "warehouse_fleet": 10, "lidar_processing": 2, "fluid_dynamics": 2}
FAST = "warehouse_fleet"


def load_schema(repo):
    with open(os.path.join(repo, "benchmarks", "results.schema.json")) as f:
        return json.load(f)


class SuiteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.repo = path("PORTALIS_SOURCE_DIR")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "run")
        cls.suite = os.path.join(cls.repo, "benchmarks", "performance_suite.py")
        cls.args = ["--build", path("PORTALIS_BUILD_DIR"), "--demos", ",".join(DEMOS), "--tiers", "interp",
                    "--small"]
        cls.proc = subprocess.run([sys.executable, cls.suite, "--out", cls.out] + cls.args, capture_output=True,
                                  text=True, timeout=600, check=False)
        with open(os.path.join(cls.out, "results.json")) as f:
            cls.results = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_json_matches_its_schema(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        schema = load_schema(self.repo)
        validate(self.results, schema, schema)
        self.assertEqual(self.results["skipped"], [])
        with open(os.path.join(self.repo, "benchmarks", "demos.json")) as f:
            listed = [x["name"] for x in json.load(f)["demos"]]
        self.assertEqual([d["name"] for d in self.results["demos"]], [n for n in listed if n in DEMOS])
        for demo in self.results["demos"]:
            [run] = demo["tiers"]
            self.assertNotIn("error", run, demo["name"])
            self.assertEqual(run["failed_modules"], 0, demo["name"])
            self.assertEqual(len(run["frame_times_ms"]), SMALL_FRAMES[demo["name"]])
            self.assertTrue(demo["native_c"]["available"], demo)  # every one of these has a native C peer
            self.assertGreater(demo["native_c"]["frame_ms"], 0)
        by = {d["name"]: d for d in self.results["demos"]}
        self.assertEqual(by["projectile_trajectory"]["tiers"][0]["modules"][0]["prim_path"], "/World/Controller")
        self.assertTrue(by["projectile_trajectory"]["python"]["available"])  # the demo's Python reference ran
        self.assertTrue(by["fluid_dynamics"]["scene"].endswith("fluid_check.usda"))  # the small scene

    def test_plots_are_png(self):
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            self.assertIn("plots: skipped (matplotlib is not installed", self.proc.stdout)
            self.skipTest("matplotlib is not installed (Debian: python3-matplotlib)")
        folder = os.path.join(self.out, "plots")
        files = sorted(os.listdir(folder))
        self.assertEqual(files, sorted(["comparison.png"] + [f"{d}_{kind}.png" for d in DEMOS
                                                             for kind in ("distribution", "latency")]))
        for name in files:
            check_png(os.path.join(folder, name))

    def test_report_has_the_specification_format(self):
        with open(os.path.join(self.out, "report.txt"), encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(text, self.proc.stdout)
        for line in ("Benchmark: projectile_trajectory [interp]", "TIMING:", "  FPS equiv:", "MEMORY:",
                     "TARGETS:", " FPS Target: ", " Latency: ", " Memory: ", " Load: ", " Demo FPS: "):
            self.assertIn(line, text)
        marks = [line.strip()[0] for line in text.splitlines() if line.strip()[:1] in ("\u2713", "\u2717")]
        self.assertGreaterEqual(len(marks), 6)

    def compare_with(self, factor):
        old = json.loads(json.dumps(self.results))
        for demo in old["demos"]:
            for run in demo["tiers"]:
                run["frame_time"]["mean_ms"] *= factor
                run["frame_time"]["stdev_ms"] = 0.0
        old_file = os.path.join(self.tmp.name, f"old{factor}.json")
        with open(old_file, "w") as f:
            json.dump(old, f)
        out = os.path.join(self.tmp.name, f"cmp{factor}")
        # one demo is enough (the last --demos wins); the warehouse's runs are the shortest (the projectile's
        # native C peer makes millions of calls: a minute under ASan)
        args = self.args + ["--demos", FAST]
        proc = subprocess.run([sys.executable, self.suite, "--out", out, "--compare", old_file] + args,
                              capture_output=True, text=True, timeout=600, check=False)
        with open(os.path.join(out, "results.json")) as f:
            return proc, json.load(f)["comparison"]

    def test_compare_flags_only_regressions(self):
        proc, cmp = self.compare_with(1000.0)  # the old run was far slower: no regression
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertEqual([c["regression"] for c in cmp], [False])
        self.assertIn(f"\u2713 {FAST} [interp]: ", proc.stdout)
        sys.path.insert(0, os.path.join(self.repo, "benchmarks"))
        import performance_suite as suite

        def run(mean, stdev, n=100):
            return {"demos": [{"name": "d", "tiers": [{"tier": "interp", "frame_time": {
                "mean_ms": mean, "stdev_ms": stdev, "samples": n}}]}]}

        def regression(old, new):
            [c] = suite.compare(old, new)
            return c["regression"]
        self.assertTrue(regression(run(1.0, 0.01), run(1.2, 0.01)))    # 20% slower, little noise
        self.assertFalse(regression(run(1.0, 0.01), run(1.05, 0.01)))  # within 10%
        self.assertFalse(regression(run(1.0, 2.0), run(1.5, 2.0)))     # within three standard errors
        self.assertTrue(regression(run(1.0, 2.0), run(3.0, 2.0)))      # beyond them
        self.assertFalse(regression(run(1.0, 0.01), run(0.5, 0.01)))   # faster is never a regression

class PortalisBenchTest(unittest.TestCase):
    """`portalis bench` (src/cli/cmd_bench.c)."""

    @classmethod
    def setUpClass(cls):
        cls.repo = path("PORTALIS_SOURCE_DIR")
        cls.build = path("PORTALIS_BUILD_DIR")
        cls.exe = os.path.join(cls.build, "bin", "portalis")
        cls.scene = path("PORTALIS_TEST_PROJECTILE_SCENE")
        cls.tmp = tempfile.TemporaryDirectory()
        schema = load_schema(cls.repo)
        cls.schema = schema
        cls.tier_schema = schema["properties"]["demos"]["items"]["properties"]["tiers"]["items"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def bench(self, *args, env=None):
        return subprocess.run([self.exe, "bench", *args], capture_output=True, text=True, timeout=600, check=False,
                              env={**os.environ, **(env or {})})

    def test_a_scene_without_python(self):
        out = os.path.join(self.tmp.name, "scene.json")
        proc = self.bench(self.scene, "--frames", "4", "--json", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for line in ("Benchmark: ", "[interp]", "TIMING (4 frames):", "FPS equiv:", "MODULE LATENCY:",
                     "/World/Controller: p50 ", "TARGETS:", " FPS Target: ", " Latency: ", " Memory: ", " Load: "):
            self.assertIn(line, proc.stdout)
        with open(out) as f:
            [run] = json.load(f)
        self.assertEqual(run["scene"], self.scene)
        validate(run, self.tier_schema, self.schema)
        self.assertEqual(len(run["frame_times_ms"]), 4)
        self.assertEqual(run["frame_time"]["samples"], 4)
        self.assertAlmostEqual(run["frame_time"]["mean_ms"], sum(run["frame_times_ms"]) / 4)
        self.assertEqual(run["frame_time"]["max_ms"], max(run["frame_times_ms"]))
        self.assertEqual([m["prim_path"] for m in run["modules"]], ["/World/Controller"])
        self.assertEqual(run["modules"][0]["steps"], 4)
        # to stdout, several tiers, no text
        proc = self.bench(self.scene, "--frames", "2", "--tier", "interp,interp", "--json", "-")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([r["tier"] for r in json.loads(proc.stdout)], ["interp", "interp"])

    def test_usage_and_missing_things(self):
        proc = self.bench(self.scene, "--bogus")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("unknown option '--bogus'", proc.stderr)
        self.assertEqual(self.bench(self.scene, "--frames", "0").returncode, 2)
        self.assertEqual(self.bench(self.scene, "--tier", "fast").returncode, 2)
        proc = self.bench(os.path.join(self.tmp.name, "missing.usda"))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("missing.usda", proc.stderr)
        proc = self.bench("--demos", "projectile_trajectory", env={"PORTALIS_PYTHON": "/nonexistent/python3"})
        self.assertEqual(proc.returncode, 1)
        self.assertIn("needs python3", proc.stderr)
        self.assertIn("portalis bench SCENE.usda", proc.stderr)
        proc = self.bench("--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("usage: portalis bench", proc.stdout)

    def test_the_suite_through_the_command(self):
        # the suite under this python, measuring through `portalis bench` (as without the package)
        out = os.path.join(self.tmp.name, "suite")
        proc = self.bench("--demos", FAST, "--tiers", "interp", "--small", "--frames", "3", "--out", out,
                          "--backend", "cli", env={"PORTALIS_PYTHON": sys.executable})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"Benchmark: {FAST} [interp]", proc.stdout)
        with open(os.path.join(out, "results.json")) as f:
            results = json.load(f)
        validate(results, self.schema, self.schema)
        self.assertEqual(results["backend"], "cli")
        [demo] = results["demos"]
        [run] = demo["tiers"]
        self.assertEqual(len(run["frame_times_ms"]), 3)
        self.assertEqual(run["modules"][0]["prim_path"], "/World/Fleet")
        self.assertEqual(run["modules"][0]["steps"], 3)
        self.assertTrue(any(t["name"] == "Demo latency" for t in run["targets"]))
        self.assertTrue(demo["native_c"]["available"])


if __name__ == "__main__":
    unittest.main()
