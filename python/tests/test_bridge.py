"""portalis.WasmtimeBridge on a real module (modules/calc.wat): typed calls
and results, errors mapped to exceptions, unloading, statistics, memory as
a buffer, budgets and threads."""
import os
import shutil
import tempfile
import threading
import unittest

import portalis
from support import calc_wasm, path


class BridgeTest(unittest.TestCase):
    def setUp(self):
        self.bridge = portalis.WasmtimeBridge(portalis.WasmModuleConfig(max_memory_mb=64))
        self.mid = self.bridge.load_module(calc_wasm())

    def test_module_id_is_the_file_stem_and_unique(self):
        self.assertEqual(self.mid, "calc")
        again = self.bridge.load_module(calc_wasm())
        self.assertEqual(again, "calc_2")
        named = self.bridge.load_module(calc_wasm(), module_id="mine")
        self.assertEqual(named, "mine")
        self.assertEqual(self.bridge.list_modules(), ["calc", "calc_2", "mine"])
        with self.assertRaises(ValueError):
            self.bridge.load_module(calc_wasm(), module_id="mine")
        # the same bytes again come from the cache
        self.assertTrue(self.bridge.get_performance_stats()["modules"]["calc_2"]["cache_hit"])

    def test_typed_results(self):
        call = self.bridge.call_function
        self.assertEqual(call(self.mid, "calculate", 1.0, 2.0), 2.5)
        self.assertIsInstance(call(self.mid, "calculate", 3, 4), float)  # ints convert to f64
        self.assertEqual(call(self.mid, "add_i32", 2**31 - 1, 1), -(2**31))  # i32 wraps, signed
        self.assertEqual(call(self.mid, "add_i64", 2**40, 1), 2**40 + 1)
        self.assertEqual(call(self.mid, "half_f32", 3), 1.5)
        self.assertEqual(call(self.mid, "divmod", 7, 2), (3, 1))
        self.assertIsNone(call(self.mid, "tick"))
        self.assertEqual(call(self.mid, "count"), 1)

    def test_function_handle(self):
        f = self.bridge.get_function(self.mid, "calculate")
        self.assertEqual((f.name, f.module_id, f.params, f.results), ("calculate", "calc", ("f64", "f64"), ("f64",)))
        self.assertEqual(f(10.0, 5.0), 52.0)
        info = self.bridge.module_info(self.mid)
        self.assertIn(("divmod", ("i32", "i32"), ("i32", "i32")), info["exports"])

    def test_argument_errors(self):
        with self.assertRaises(portalis.ArgumentError) as cm:
            self.bridge.call_function(self.mid, "calculate", 1.0)
        self.assertIsInstance(cm.exception, TypeError)
        with self.assertRaises(TypeError):
            self.bridge.call_function(self.mid, "calculate", "a", 1.0)
        with self.assertRaises(OverflowError):
            self.bridge.call_function(self.mid, "add_i32", 2**40, 1)
        with self.assertRaises(portalis.ArgumentError) as cm:
            self.bridge.call_function(self.mid, "splat", 1.0)
        self.assertIn("v128", str(cm.exception))

    def test_trap_kind_and_backtrace(self):
        with self.assertRaises(portalis.Trap) as cm:
            self.bridge.call_function(self.mid, "divide", 1, 0)
        e = cm.exception
        self.assertEqual(e.kind, "integer_divide_by_zero")
        self.assertEqual([f[1] for f in e.backtrace], ["inner_div", "outer"])
        self.assertTrue(all(isinstance(f[0], int) and f[2] > 0 for f in e.backtrace))
        self.assertEqual((e.module, e.function), ("calc", "divide"))
        with self.assertRaises(portalis.Trap) as cm:
            self.bridge.call_function(self.mid, "boom")
        self.assertEqual(cm.exception.kind, "unreachable")
        # a trap leaves the module usable
        self.assertEqual(self.bridge.call_function(self.mid, "divide", 9, 3), 3)

    def test_load_and_link_errors(self):
        with self.assertRaises(portalis.LoadError) as cm:
            self.bridge.load_module("/nonexistent/dir/x.wasm")
        self.assertIn("x.wasm", str(cm.exception))
        with tempfile.NamedTemporaryFile(suffix=".wasm") as bad:
            bad.write(b"\0asm\1\0\0\0\xff")
            bad.flush()
            with self.assertRaises(portalis.LoadError):
                self.bridge.load_module(bad.name)
        with self.assertRaises(portalis.LinkError) as cm:
            self.bridge.load_module(path("PORTALIS_TEST_NEEDS_IMPORT"))
        self.assertIn("env.missing", str(cm.exception))
        with self.assertRaises(portalis.LoadError):
            self.bridge.load_module_bytes(b"not wasm")
        with self.assertRaises(portalis.ExportError) as cm:
            self.bridge.call_function(self.mid, "calcualte", 1.0, 2.0)
        self.assertIn("calculate", str(cm.exception))  # the message lists what exists
        with self.assertRaises(portalis.ModuleNotLoaded):
            self.bridge.call_function("nope", "calculate", 1.0, 2.0)

    def test_load_bytes_and_unload(self):
        with open(calc_wasm(), "rb") as f:
            mid = self.bridge.load_module_bytes(f.read(), module_id="from_bytes")
        f = self.bridge.get_function(mid, "calculate")
        self.assertEqual(f(1.0, 2.0), 2.5)
        self.bridge.unload_module(mid)
        self.assertNotIn(mid, self.bridge.list_modules())
        with self.assertRaises(portalis.ModuleNotLoaded):
            f(1.0, 2.0)
        with self.assertRaises(portalis.ModuleNotLoaded):
            self.bridge.unload_module(mid)
        with self.assertRaises(portalis.ModuleNotLoaded):
            self.bridge.call_function(mid, "calculate", 1.0, 2.0)

    def test_call_function_follows_unload_and_reload(self):
        # call_function keeps the Functions it resolved by the identity of
        # its (module id, name) arguments: unloading must forget them
        call, mid, name = self.bridge.call_function, "again", "count"
        self.bridge.load_module(calc_wasm(), module_id=mid)
        call(mid, "tick")
        self.assertEqual(call(mid, name), 1)
        self.bridge.unload_module(mid)
        with self.assertRaises(portalis.ModuleNotLoaded):
            call(mid, name)
        self.bridge.load_module(calc_wasm(), module_id=mid)
        self.assertEqual(call(mid, name), 0)  # the new instance, not the old one's Function
        self.assertEqual(call("".join(["ag", "ain"]), "".join(["co", "unt"])), 0)  # equal, not identical, strs
        with self.assertRaises(portalis.ExportError):
            call(mid, "missing")
        many = [self.bridge.load_module(calc_wasm()) for _ in range(12)]  # more than the cache's entries
        for m in many:
            call(m, "tick")
        self.assertEqual([call(m, name) for m in many], [1] * 12)

    def test_functions_outlive_the_bridge_safely(self):
        bridge = portalis.WasmtimeBridge()
        mid = bridge.load_module(calc_wasm())
        f = bridge.get_function(mid, "calculate")
        view = memoryview(bridge.memory(mid))  # keeps the bridge (and so the memory) alive
        del bridge
        view[0:1] = b"x"
        view.release()
        with self.assertRaises(portalis.ModuleNotLoaded):
            f(1.0, 2.0)

    def test_statistics(self):
        for _ in range(100):
            self.bridge.call_function(self.mid, "calculate", 1.0, 2.0)
        with self.assertRaises(portalis.Trap):
            self.bridge.call_function(self.mid, "boom")
        stats = self.bridge.get_performance_stats()
        self.assertEqual(stats["loaded_modules"], 1)
        self.assertEqual(stats["total_calls"], 101)
        self.assertEqual(stats["total_errors"], 1)
        self.assertGreater(stats["avg_execution_time_ms"], 0)
        fn = stats["modules"]["calc"]["functions"]["calculate"]
        self.assertEqual(fn["calls"], 100)
        for key in ("avg_execution_time_ms", "p50_execution_time_ms", "p99_execution_time_ms",
                    "max_execution_time_ms"):
            self.assertGreater(fn[key], 0, key)
        self.assertLessEqual(fn["p50_execution_time_ms"], fn["p99_execution_time_ms"] * 1.011)
        self.assertLessEqual(fn["p99_execution_time_ms"], fn["max_execution_time_ms"] * 1.011)
        self.assertEqual(stats["modules"]["calc"]["functions"]["boom"]["errors"], 1)
        self.assertEqual(stats["modules"]["calc"]["memory_bytes"], 65536)
        self.assertGreater(stats["modules"]["calc"]["load_time_ms"], 0)

    def test_memory_buffer(self):
        total = self.bridge.call_function(self.mid, "fill", 64, 4, 0.5)
        self.assertEqual(total, 3.0)
        mem = self.bridge.memory(self.mid)
        self.assertEqual(len(mem), 65536)
        with memoryview(mem) as view:
            self.assertEqual(view.cast("d")[8:12].tolist(), [0.0, 0.5, 1.0, 1.5])  # byte 64 = double 8
            view[0:8] = memoryview(bytearray(b"\0" * 8))
            # a call while a view is held could move the memory: refused
            with self.assertRaises(BufferError):
                self.bridge.call_function(self.mid, "tick")
            with self.assertRaises(BufferError):
                self.bridge.unload_module(self.mid)  # the view would dangle
        self.bridge.call_function(self.mid, "tick")  # released: fine again
        self.assertEqual(list(self.bridge.read_array(self.mid, 64, 4)), [0.0, 0.5, 1.0, 1.5])
        import array
        self.bridge.write_array(self.mid, 1024, array.array("d", [1.0, 2.0, 4.0]))
        self.assertEqual(self.bridge.call_function(self.mid, "sum", 1024, 3), 7.0)
        with self.assertRaises(IndexError):
            mem.read(65530, 16)
        with self.assertRaises(IndexError):
            mem.write(65535, b"ab")
        # growth is seen by the next view
        self.assertEqual(self.bridge.call_function(self.mid, "grow", 1), 1)
        self.assertEqual(len(mem), 2 * 65536)
        # past max_memory_mb growth fails
        self.assertEqual(self.bridge.call_function(self.mid, "grow", 5000), -1)

    def test_numpy_in_and_out(self):
        try:
            import numpy
        except ImportError:
            self.skipTest("numpy is not installed (optional)")
        data = numpy.arange(10, dtype=numpy.float64)
        self.bridge.write_array(self.mid, 0, data)
        self.assertEqual(self.bridge.call_function(self.mid, "sum", 0, 10), 45.0)
        out = self.bridge.read_array(self.mid, 0, 10)
        self.assertIsInstance(out, numpy.ndarray)
        numpy.testing.assert_array_equal(out, data)
        view = numpy.frombuffer(self.bridge.memory(self.mid), dtype=numpy.float64, count=10)
        self.assertEqual(view.sum(), 45.0)
        with self.assertRaises(BufferError):
            self.bridge.call_function(self.mid, "tick")
        del view
        self.bridge.call_function(self.mid, "tick")

    def test_fuel_budget(self):
        bridge = portalis.WasmtimeBridge(call_fuel=10_000)
        mid = bridge.load_module(calc_wasm())
        self.assertEqual(bridge.call_function(mid, "spin", 100), 100)
        with self.assertRaises(portalis.BudgetExceeded) as cm:
            bridge.call_function(mid, "spin", 10**12)
        self.assertEqual(cm.exception.kind, "out_of_fuel")
        self.assertIsInstance(cm.exception, portalis.Trap)
        self.assertEqual(bridge.call_function(mid, "spin", 100), 100)  # refilled per call

    def test_gil_released_during_calls(self):
        # The call spins for ever; only another thread running Python while it
        # runs can stop it, so the test finishes only if the GIL is released.
        result = {}

        def run():
            try:
                self.bridge.call_function(self.mid, "spin", 2**62)
            except portalis.BudgetExceeded as e:
                result["kind"] = e.kind

        t = threading.Thread(target=run)
        t.start()
        self.bridge.interrupt(self.mid)
        t.join()
        self.assertEqual(result.get("kind"), "deadline")
        self.assertEqual(self.bridge.call_function(self.mid, "spin", 5), 5)

    def test_release_gil_policy(self):
        for policy in ("auto", "always"):
            bridge = portalis.WasmtimeBridge(release_gil=policy)
            f = bridge.get_function(bridge.load_module(calc_wasm()), "calculate")
            self.assertEqual([f(1.0, 2.0) for _ in range(3)], [2.5] * 3)
        with self.assertRaises(ValueError):
            portalis.WasmtimeBridge(release_gil="never")

    def test_threads_share_a_bridge(self):
        mids = [self.bridge.load_module(calc_wasm(), module_id=f"t{i}") for i in range(3)]
        errors = []

        def work(mid):
            try:
                for _ in range(2000):
                    self.bridge.call_function(mid, "tick")
                    self.bridge.call_function(self.mid, "tick")  # a module shared by every thread
            except Exception as e:  # noqa: BLE001  (reported below)
                errors.append(e)

        threads = [threading.Thread(target=work, args=(m,)) for m in mids]
        for t in threads:
            t.start()
        self.bridge.get_performance_stats()  # statistics while calls run
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual([self.bridge.call_function(m, "count") for m in mids], [2000] * 3)
        self.assertEqual(self.bridge.call_function(self.mid, "count"), 6000)

    def test_native_tier(self):
        if not shutil.which(os.environ.get("CC", "cc")):
            self.skipTest("no C compiler for the native tier")
        bridge = portalis.WasmtimeBridge(tier="native")
        mid = bridge.load_module(path("PORTALIS_TEST_MY_FUNCTION"))  # calc.wasm has SIMD, compiled like the rest
        self.assertEqual(bridge.call_function(mid, "my_function", 10.0, 5.0), 52.0)
        self.assertEqual(bridge.get_performance_stats()["modules"][mid]["tier"], "native")


if __name__ == "__main__":
    unittest.main()
