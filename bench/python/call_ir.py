#!/usr/bin/env python3
"""N calls of calculate(1.0, 2.0) one way, for counting instructions with
callgrind (python/README.md, Call overhead): run it with N and a larger N
and divide the difference of the counts by the difference of the Ns.

    call_ir.py MODE N MODULE.wasm [auto|always]
MODE: loop (an empty loop), many (Function.call_many: from C), func
(f(1.0, 2.0)), cf (bridge.call_function(id, "calculate", 1.0, 2.0))."""
import sys

import portalis


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    bridge = portalis.WasmtimeBridge(release_gil=sys.argv[4] if len(sys.argv) > 4 else "auto")
    mid = bridge.load_module(sys.argv[3])
    f = bridge.get_function(mid, "calculate")
    call = bridge.call_function
    # warm: the first call of a function releases the GIL and is timed
    f(1.0, 2.0)
    f(1.0, 2.0)
    f.call_many(1, 1.0, 2.0)
    call(mid, "calculate", 1.0, 2.0)
    if mode == "many":
        f.call_many(n, 1.0, 2.0)
    elif mode == "func":
        for _ in range(n):
            f(1.0, 2.0)
    elif mode == "cf":
        for _ in range(n):
            call(mid, "calculate", 1.0, 2.0)
    elif mode == "loop":
        for _ in range(n):
            pass


if __name__ == "__main__":
    main()
