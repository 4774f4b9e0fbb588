#!/usr/bin/env python3
"""The benchmark suite of the specification ("Benchmark Suite"): every demo
of benchmarks/demos.json that is built, on each tier, through the portalis
package; the same computation in the demo's Python reference and in native
C where the list gives them; a JSON results file, PNG plots and a target
validation report.

    python3 benchmarks/performance_suite.py [--build build] [--out DIR]
        [--demos a,b] [--tiers interp,native] [--frames N] [--small]
        [--compare OLD.json] [--backend auto|package|cli] [--portalis EXE]

Writes DIR/results.json (schema: benchmarks/results.schema.json,
benchmarks/README.md), DIR/report.txt (also printed) and, when matplotlib
is installed (Debian: python3-matplotlib), DIR/plots/*.png. Exits 0, or 1
when --compare finds a regression beyond noise. The tiers are measured
through the portalis Python package, or, when it cannot be imported (or
with --backend cli), through `portalis bench SCENE --json -`.
"""
import argparse
import datetime
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SCHEMA_VERSION = 1
# The specification's targets (Performance Benchmarks, Target Metrics).
TARGETS = {"fps": 30.0, "latency_ms": 10.0, "memory_mb": 100.0, "load_s": 5.0}


def import_portalis(build):
    """The portalis package (installed, or the build tree's), or None."""
    try:
        import portalis  # noqa: F401  (installed)
    except ImportError:
        sys.path.insert(0, os.path.join(build, "python"))  # the build tree's staged package
    try:
        import portalis
    except ImportError:
        return None
    return portalis


def expand(text, build, demo=None):
    text = text.replace("{repo}", REPO).replace("{build}", build)
    if demo is not None:
        text = text.replace("{scene}", demo["scene_path"]).replace("{frames}", str(demo["run_frames"]))
    return text


def summary(times_ms):
    s = sorted(times_ms)
    n = len(s)
    mean = sum(s) / n
    return {"mean_ms": mean, "median_ms": statistics.median(s), "p99_ms": s[min(n - 1, math.ceil(0.99 * n) - 1)],
            "max_ms": s[-1], "min_ms": s[0], "stdev_ms": statistics.stdev(s) if n > 1 else 0.0,
            "fps_equivalent": 1000.0 / mean if mean > 0 else 0.0, "samples": n}


# ---- one demo on one tier --------------------------------------------------------

class MeasureError(Exception):
    pass


def run_tier_cli(exe, demo, tier, frames):
    """The same measurements by `portalis bench` (src/cli/cmd_bench.c)."""
    cmd = [exe, "bench", demo["scene_path"], "--tier", tier, "--frames", str(frames), "--json", "-"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=24 * 3600, check=False)
    if out.returncode not in (0, 3):  # 3: the run completed, some module failed (its entry says so)
        raise MeasureError(out.stderr.strip() or f"{' '.join(cmd)} exited {out.returncode}")
    [result] = json.loads(out.stdout)
    del result["scene"]
    result["targets"] = check_targets(result, demo.get("targets", {}))
    return result


def run_tier(portalis, demo, tier, frames):
    sim = portalis.Simulation(demo["scene_path"], tier=tier, record=False)
    load_ms = sim.report()["load_ms"]
    times = []
    for _ in range(frames):
        t0 = time.perf_counter_ns()
        sim.step()
        times.append((time.perf_counter_ns() - t0) / 1e6)
    mods = sim.modules()
    result = {
        "tier": tier,
        "load_ms": load_ms,
        "frame_time": summary(times),
        "frame_times_ms": times,
        "module_memory_mb": sum(m["memory_bytes"] for m in mods) / (1 << 20),
        "modules": [{"prim_path": m["prim_path"], "schema": m["schema"], "state": m["state"], "tier": m["tier"],
                     "steps": m["steps"], "latency_ms": m["latency"], "memory_mb": m["memory_bytes"] / (1 << 20),
                     "last_error": m["last_error"]} for m in mods],
        "failed_modules": sim.report()["failed_modules"],
    }
    result["targets"] = check_targets(result, demo.get("targets", {}))
    return result


def check_targets(r, own):
    ft = r["frame_time"]
    checks = [
        ("FPS Target", ft["fps_equivalent"], ">", TARGETS["fps"], "FPS"),
        ("Latency", ft["mean_ms"], "<", TARGETS["latency_ms"], "ms"),
        ("Memory", r["module_memory_mb"], "<", TARGETS["memory_mb"], "MB"),
        ("Load", r["load_ms"] / 1000.0, "<", TARGETS["load_s"], "s"),
    ]
    if "fps" in own:
        checks.append(("Demo FPS", ft["fps_equivalent"], ">", float(own["fps"]), "FPS"))
    if "latency_ms" in own:
        checks.append(("Demo latency", ft["mean_ms"], "<", float(own["latency_ms"]), "ms"))
    out = [{"name": n, "value": v, "op": op, "target": t, "unit": u, "met": (v > t if op == ">" else v < t)}
           for n, v, op, t, u in checks]
    if r["failed_modules"]:
        out.append({"name": "Modules run", "value": r["failed_modules"], "op": "=", "target": 0, "unit": "failed",
                    "met": False})
    return out


# ---- the same computation natively --------------------------------------------------

def python_reference(demo, build, frames):
    ref = demo.get("python")
    if not ref:
        return {"available": False, "reason": "no Python reference in benchmarks/demos.json"}
    sys.path.insert(0, expand(ref["path"], build, demo))
    scope = {}
    try:
        exec(expand(ref["setup"], build, demo), scope)  # noqa: S102  (the demo list's own code)
        code = compile(expand(ref["frame"], build, demo), "<frame>", "exec")
        times = []
        for _ in range(frames):
            t0 = time.perf_counter_ns()
            exec(code, scope)  # noqa: S102
            times.append((time.perf_counter_ns() - t0) / 1e6)
    except ImportError as e:
        return {"available": False, "reason": f"Python reference needs {e.name}"}
    finally:
        sys.path.pop(0)
    return {"available": True, "frame_time": summary(times)}


def native_c(demo, build):
    ref = demo.get("native_c")
    if not ref:
        return {"available": False, "reason": "no native C peer in benchmarks/demos.json"}
    cmd = [expand(c, build, demo) for c in ref["cmd"]]
    if not os.path.exists(cmd[0]):
        return {"available": False, "reason": f"{cmd[0]} is not built"}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    try:
        ns = float(json.loads(out.stdout)[ref["key"]])
    except (ValueError, KeyError) as e:
        return {"available": False, "reason": f"{' '.join(cmd)}: no {ref['key']} in its output ({e})"}
    return {"available": True, "frame_ms": ns / 1e6}


# ---- the whole suite ------------------------------------------------------------------

def machine(portalis, exe):
    if portalis is not None:
        version = portalis.__version__
    else:  # "portalis 0.1.0"
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60, check=False)
        version = out.stdout.split()[-1] if out.returncode == 0 and out.stdout.split() else "unknown"
    return {"hostname": platform.node(), "platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "portalis": version, "load_average": list(os.getloadavg()), "git": git_describe()}


def git_describe():
    try:
        out = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True,
                             text=True, timeout=30, check=False)
        return out.stdout.strip() or None
    except OSError:
        return None


def choose_backend(args, build):
    """(portalis package or None, the portalis executable)."""
    exe = os.path.abspath(args.portalis or os.path.join(build, "bin", "portalis"))
    portalis = None if args.backend == "cli" else import_portalis(build)
    if portalis is None and args.backend == "package":
        sys.exit("performance_suite: the portalis Python package cannot be imported (pip install ./python, or "
                 "build it: python/README.md); --backend cli measures through `portalis bench`")
    if portalis is None and not os.access(exe, os.X_OK):
        sys.exit(f"performance_suite: neither the portalis Python package nor {exe} is there: build first "
                 "(cmake --build build) or give --build / --portalis")
    return portalis, exe


def run_suite(args):
    build = os.path.abspath(args.build)
    portalis, exe = choose_backend(args, build)
    with open(args.demos_file) as f:
        listed = json.load(f)["demos"]
    wanted = set(args.demos.split(",")) if args.demos else None
    results = {"schema_version": SCHEMA_VERSION, "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
               "machine": machine(portalis, exe), "targets": TARGETS, "demos": [], "skipped": [],
               "backend": "package" if portalis is not None else "cli", "small": bool(args.small)}
    for demo in listed:
        if wanted is not None and demo["name"] not in wanted:
            continue
        if args.small:  # the demo's small sizes (tests, smoke runs)
            demo = {**demo, **demo.get("small", {})}
        demo["scene_path"] = expand(demo["scene"], build)
        if not os.path.isfile(demo["scene_path"]):
            results["skipped"].append({"name": demo["name"], "reason": f"{demo['scene_path']} is not built"})
            continue
        frames = demo["run_frames"] = args.frames or demo["frames"]
        entry = {"name": demo["name"], "scene": demo["scene_path"], "frames": frames, "tiers": []}
        for tier in args.tiers.split(","):
            print(f"benchmark {demo['name']} [{tier}] {frames} frames", file=sys.stderr)
            try:
                entry["tiers"].append(run_tier(portalis, demo, tier, frames) if portalis is not None
                                      else run_tier_cli(exe, demo, tier, frames))
            except (MeasureError, *((portalis.Error,) if portalis is not None else ())) as e:
                entry["tiers"].append({"tier": tier, "error": str(e)})
        entry["python"] = python_reference(demo, build, frames)
        entry["native_c"] = native_c(demo, build)
        results["demos"].append(entry)
    results["process_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return results


# ---- the report ---------------------------------------------------------------------------

def fmt_fps(fps):
    """Whole frames per second, but two decimals under 10 (a 2.9 s frame is 0.34 FPS, not 0)."""
    return f"{fps:,.0f}" if fps >= 10 else f"{fps:.2f}"


def fmt_target(t):
    mark = "\u2713" if t["met"] else "\u2717"
    value = fmt_fps(t["value"]) if t["unit"] == "FPS" else f"{t['value']:.3f}"
    return f"  {mark} {t['name']}: {value} {t['unit']} ({t['op']}{t['target']:g}{t['unit'] if t['unit'] != 'FPS' else ''} target)"


def report_text(results):
    lines = []
    for demo in results["demos"]:
        for r in demo["tiers"]:
            lines += [f"Benchmark: {demo['name']} [{r['tier']}]", "=" * 50]
            if "error" in r:
                lines += [f"  \u2717 ERROR: {r['error']}", ""]
                continue
            ft = r["frame_time"]
            lines += ["TIMING:", f"  Average:      {ft['mean_ms']:.3f} ms", f"  Median:       {ft['median_ms']:.3f} ms",
                      f"  P99:          {ft['p99_ms']:.3f} ms", f"  FPS equiv:    {fmt_fps(ft['fps_equivalent'])} FPS",
                      "", "MODULE LATENCY:"]
            lines += [f"  {m['prim_path']}: p50 {m['latency_ms']['median_ms']:.3f} ms, p99 "
                      f"{m['latency_ms']['p99_ms']:.3f} ms ({m['state']}, {m['tier']})" for m in r["modules"]]
            lines += ["", "MEMORY:", f"  Peak:         {r['module_memory_mb']:.1f} MB", "", "LOAD:",
                      f"  Load time:    {r['load_ms']:.1f} ms", "", "COMPARISON:"]
            py, c = demo["python"], demo["native_c"]
            if py["available"]:
                p = py["frame_time"]["mean_ms"]
                lines.append(f"  native Python: {p:.3f} ms/frame (wasm frame speed-up over it: {p / ft['mean_ms']:.1f}x)")
            else:
                lines.append(f"  native Python: n/a ({py['reason']})")
            if c["available"]:
                lines.append(f"  native C:      {c['frame_ms']:.4g} ms/frame (wasm frame / native C: {ft['mean_ms'] / c['frame_ms']:,.1f}x)")
            else:
                lines.append(f"  native C:      n/a ({c['reason']})")
            lines += ["", "TARGETS:"] + [fmt_target(t) for t in r["targets"]]
            ok = all(t["met"] for t in r["targets"])
            lines += ["  \u2713 ALL TARGETS MET" if ok else "  \u2717 SOME TARGETS MISSED", ""]
    for s in results["skipped"]:
        lines.append(f"skipped {s['name']}: {s['reason']}")
    return "\n".join(lines) + "\n"


# ---- --compare --------------------------------------------------------------------------------

def compare(old, new):
    """Regressions: a mean frame time slower than before by more than noise:
    10%, or three standard errors of the difference of the means if more."""
    found = []
    old_runs = {(d["name"], r["tier"]): r for d in old["demos"] for r in d["tiers"] if "error" not in r}
    for d in new["demos"]:
        for r in d["tiers"]:
            o = old_runs.get((d["name"], r["tier"]))
            if o is None or "error" in r:
                continue
            a, b = o["frame_time"], r["frame_time"]
            se = math.sqrt(a["stdev_ms"] ** 2 / max(a["samples"], 1) + b["stdev_ms"] ** 2 / max(b["samples"], 1))
            limit = max(0.10 * a["mean_ms"], 3 * se)
            delta = b["mean_ms"] - a["mean_ms"]
            found.append({"name": d["name"], "tier": r["tier"], "old_ms": a["mean_ms"], "new_ms": b["mean_ms"],
                          "noise_ms": limit, "regression": delta > limit})
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.environ.get("PORTALIS_BUILD_DIR", os.path.join(REPO, "build")))
    ap.add_argument("--out", default="benchmark_results")
    ap.add_argument("--demos-file", default=os.path.join(HERE, "demos.json"))
    ap.add_argument("--demos", help="comma-separated names (default: every demo listed)")
    ap.add_argument("--tiers", default="interp,native")
    ap.add_argument("--frames", type=int, help="frames per run (default: each demo's)")
    ap.add_argument("--small", action="store_true", help="each demo's small sizes (demos.json 'small')")
    ap.add_argument("--compare", metavar="OLD.json")
    ap.add_argument("--backend", choices=("auto", "package", "cli"), default="auto",
                    help="measure through the portalis package, or `portalis bench` (auto: the package if "
                         "it imports)")
    ap.add_argument("--portalis", metavar="EXE", help="the portalis program (default: BUILD/bin/portalis)")
    args = ap.parse_args(argv)
    results = run_suite(args)
    status = 0
    if args.compare:
        with open(args.compare) as f:
            results["comparison"] = compare(json.load(f), results)
        status = 1 if any(c["regression"] for c in results["comparison"]) else 0
    os.makedirs(args.out, exist_ok=True)
    write_atomic(os.path.join(args.out, "results.json"), json.dumps(results, indent=1) + "\n")
    text = report_text(results)
    for c in results.get("comparison", []):
        mark = "\u2717 REGRESSION" if c["regression"] else "\u2713"
        text += (f"{mark} {c['name']} [{c['tier']}]: {c['old_ms']:.3f} -> {c['new_ms']:.3f} ms "
                 f"(noise {c['noise_ms']:.3f} ms)\n")
    import plots
    written = plots.write_all(results, os.path.join(args.out, "plots"))
    text += (f"plots: {len(written)} PNG files in {os.path.join(args.out, 'plots')}\n" if written is not None
             else "plots: skipped (matplotlib is not installed; Debian: python3-matplotlib)\n")
    write_atomic(os.path.join(args.out, "report.txt"), text)
    sys.stdout.write(text)
    return status


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
