#!/usr/bin/env bash
# Robot arm benchmark: IK solve time of the C and Rust modules on the
# interpreter (robot_arm_bench, through the bridge by handle) beside Orocos
# KDL's ChainIkSolverPos_LMA natively (kdl_ik.cpp, built here only, Debian
# liborocos-kdl-dev) on the same 10 000 targets from the same home pose, and
# the Python reference on 300 of them; the scene's frame time from
# `portalis run`. Writes bench/robot_arm/results.json and prints a table.
#   bench/robot_arm/bench.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
out=bench/robot_arm/results.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mods=$B/demos/robot_arm/modules
"$B/bin/robot_arm_bench" "$mods/robot_arm_c.wasm" "$tmp/targets.txt" > "$tmp/c.json"
"$B/bin/robot_arm_bench" "$mods/robot_arm_rust.wasm" "$tmp/targets_r.txt" > "$tmp/rust.json"
cmp -s "$tmp/targets.txt" "$tmp/targets_r.txt" || { echo "C and Rust targets differ" >&2; exit 1; }
# the same on the native tier (compiled once through the system C compiler, then cached)
"$B/bin/robot_arm_bench" "$mods/robot_arm_c.wasm" "$tmp/targets_cn.txt" 10000 native > "$tmp/c_native.json"
"$B/bin/robot_arm_bench" "$mods/robot_arm_rust.wasm" "$tmp/targets_rn.txt" 10000 native > "$tmp/rust_native.json"
if pkg-config --exists orocos-kdl; then
    g++ -O2 bench/robot_arm/kdl_ik.cpp $(pkg-config --cflags --libs orocos-kdl) -o "$tmp/kdl_ik"
    "$tmp/kdl_ik" 1e-20 < "$tmp/targets.txt" > "$tmp/kdl.json"     # stop at 1e-10 m, as the modules
    "$tmp/kdl_ik" 1e-5 < "$tmp/targets.txt" > "$tmp/kdl_default.json"  # KDL's default eps
else
    echo "liborocos-kdl-dev missing (bash scripts/deps.sh): KDL column empty" >&2
    echo null > "$tmp/kdl.json"; echo null > "$tmp/kdl_default.json"
fi
"$B/bin/portalis" run "$B/demos/robot_arm/robot_arm.usda" --quiet -o "$tmp/arm.usda" --report "$tmp/scene.json"
python3 - "$tmp" "$out" <<'PY'
import json, sys, time, importlib.util
tmp, out = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("ik", "demos/robot_arm/python/ik_solver.py")
ik = importlib.util.module_from_spec(spec); spec.loader.exec_module(ik)
targets = [tuple(map(float, l.split())) for l in open(f"{tmp}/targets.txt")][:300]
t0 = time.perf_counter_ns()
py_ok = sum(ik.solve_ik_from(t, ik.HOME)[1] for t in targets)
py_ns = (time.perf_counter_ns() - t0) / len(targets)
ld = lambda n: json.load(open(f"{tmp}/{n}.json"))
c, r, k, kd, scene = ld("c"), ld("rust"), ld("kdl"), ld("kdl_default"), ld("scene")
cn, rn = ld("c_native"), ld("rust_native")
json.dump({"c": c, "rust": r, "c_native": cn, "rust_native": rn, "kdl": k, "kdl_default_eps": kd, "python_cold_ns": py_ns, "python_reached": py_ok,
           "python_n": len(targets), "scene": scene}, open(out, "w"), indent=1)
us = lambda ns: f"{ns / 1e3:9.2f}"
print(f"{'IK solve (10 000 targets from home)':38} {'mean us':>9} {'p50 us':>9} {'p99 us':>9} {'reached':>9}")
for name, d in (("C module, interpreter", c), ("Rust module, interpreter", r), ("C module, native tier", cn),
                ("Rust module, native tier", rn)):
    print(f"{name:38} {us(d['cold_mean_ns'])} {us(d['cold_p50_ns'])} {us(d['cold_p99_ns'])} {d['reached']:9d}")
for name, d in (("KDL LMA native, 1e-10 m", k), ("KDL LMA native, default eps", kd)):
    if d:
        print(f"{name:38} {us(d['mean_ns'])} {us(d['p50_ns'])} {us(d['p99_ns'])} {d['reached']:9d}")
print(f"{'Python reference (300 targets)':38} {us(py_ns)} {'':9} {'':9} {py_ok:9d}")
print(f"{'warm-started (scene path, 120 Hz)':38}")
for name, d in (("C module, interpreter", c), ("Rust module, interpreter", r), ("C module, native tier", cn),
                ("Rust module, native tier", rn)):
    print(f"{name:38} {us(d['warm_mean_ns'])} {us(d['warm_p50_ns'])} {us(d['warm_p99_ns'])}")
f = scene["frame_latency_ns"]
print(f"scene frame (2 control steps + target), p50 / p99 us: {f['p50'] / 1e3:.2f} / {f['p99'] / 1e3:.2f}")
ok = lambda b: "\u2713" if b else "\u2717"
print(f"one solve <= 50 us on the interpreter (C, cold from home): p50 {ok(c['cold_p50_ns'] <= 50000)}, "
      f"mean {ok(c['cold_mean_ns'] <= 50000)}; warm-started p50 {ok(c['warm_p50_ns'] <= 50000)}")
print(f"one solve <= 10 us on the native tier (C, cold from home): p50 {ok(cn['cold_p50_ns'] <= 10000)}, "
      f"mean {ok(cn['cold_mean_ns'] <= 10000)}; warm-started p50 {ok(cn['warm_p50_ns'] <= 10000)}")
PY
