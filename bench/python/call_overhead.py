#!/usr/bin/env python3
"""Per-call overhead of the Python bindings (issue 16's target: at most
250 ns above the wasm call itself).

    PYTHONPATH=build/python python3 bench/python/call_overhead.py build/python/test-modules/calc.wasm

For N calls of calculate(1.0, 2.0) (f64, f64) -> f64 it takes the fastest of
R repeats (the least disturbed by other processes) of:
  wasm      Function.call_many(N, 1.0, 2.0): the same call N times from C,
            through the bridge's pre-resolved handle (the wasm call itself)
  loop      an empty Python `for` loop of N iterations
  function  f(1.0, 2.0) with f = bridge.get_function(id, "calculate")
  call      bridge.call_function(id, "calculate", 1.0, 2.0)
and prints ns per call; overhead = (python - loop) - wasm: what the binding
adds (argument conversion, module and function lookup, GIL release, locks,
boxing the result), without the cost of Python's own loop.

--clock cpu (the default) times with the thread's CPU clock, which a loaded
machine does not stretch (time spent descheduled does not count); --clock
wall with the monotonic wall clock."""
import argparse
import time

import portalis


CLOCKS = {"cpu": time.thread_time_ns, "wall": time.perf_counter_ns}


def best(fn, repeats, clock):
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("module", help="a module exporting calculate(f64, f64) -> f64")
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--tier", default="interp")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    a = ap.parse_args()
    clock = CLOCKS[a.clock]
    bridge = portalis.WasmtimeBridge(tier=a.tier)
    mid = bridge.load_module(a.module)
    f = bridge.get_function(mid, "calculate")
    call, n = bridge.call_function, a.calls

    def loop():
        for _ in range(n):
            pass

    def function():
        for _ in range(n):
            f(1.0, 2.0)

    def call_function():
        for _ in range(n):
            call(mid, "calculate", 1.0, 2.0)

    wasm = best(lambda: f.call_many(n, 1.0, 2.0), a.repeats, clock) / n
    empty = best(loop, a.repeats, clock) / n
    fn = best(function, a.repeats, clock) / n
    cf = best(call_function, a.repeats, clock) / n
    print(f"calls {n} x {a.repeats} repeats (fastest), tier {a.tier}, {a.clock} clock")
    print(f"wasm call itself (from C)          {wasm:8.1f} ns")
    print(f"empty Python loop iteration        {empty:8.1f} ns")
    print(f"f(1.0, 2.0)                        {fn:8.1f} ns  overhead {fn - empty - wasm:6.1f} ns")
    print(f"call_function(id, name, 1.0, 2.0)  {cf:8.1f} ns  overhead {cf - empty - wasm:6.1f} ns")


if __name__ == "__main__":
    main()
