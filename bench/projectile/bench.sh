#!/usr/bin/env bash
# Projectile benchmark: scene runs (1 and 1000 projectiles) through
# `portalis run`, bridge call overhead, native C and native Python.
# Writes bench/projectile/results.json and prints a table.
#   bench/projectile/bench.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
out=bench/projectile/results.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$B/bin/portalis" run "$B/demos/projectile/projectile.usda" --frames 3000 --quiet -o "$tmp/p1.usda" --report "$tmp/r1.json"
"$B/bin/portalis" run "$B/demos/projectile/projectile_sweep.usda" --frames 600 --quiet -o "$tmp/p1000.usda" --report "$tmp/r1000.json"
"$B/bin/projectile_bench" "$B/demos/projectile/modules/projectile_c.wasm" > "$tmp/calls.json"
python3 - "$tmp" "$out" <<'PY'
import json, sys, time, importlib.util
tmp, out = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("projectile", "demos/projectile/python/projectile.py")
p = importlib.util.module_from_spec(spec); spec.loader.exec_module(p)
n = 200000
t0 = time.perf_counter_ns()
for i in range(n):
    p.calculate_trajectory(20.0, 45.0, 1.0)
py1 = (time.perf_counter_ns() - t0) / n
t0 = time.perf_counter_ns()
for f in range(60):
    for i in range(1000):
        p.calculate_trajectory(10 + i % 50 * 0.4, 15 + i // 50 * 3.0, f / 60.0)
py1000 = (time.perf_counter_ns() - t0) / 60
r1 = json.load(open(f"{tmp}/r1.json")); r1000 = json.load(open(f"{tmp}/r1000.json")); c = json.load(open(f"{tmp}/calls.json"))
res = {"scene_1": r1, "scene_1000": r1000, "calls": c, "python_traj_ns": py1, "python_frame_1000_ns": py1000}
json.dump(res, open(out, "w"), indent=1)
ok = lambda b: "\u2713" if b else "\u2717"
f1, f1k = r1["frame_latency_ns"], r1000["frame_latency_ns"]
print(f"{'measure':44} {'value':>14} {'target':>12}")
print(f"{'frame p99, 1 projectile (us)':44} {f1['p99']/1e3:14.2f} {'<= 20':>12} {ok(f1['p99'] <= 20000)}")
print(f"{'frame mean / p50 / max, 1 projectile (us)':44} {f1['mean']/1e3:6.2f}/{f1['p50']/1e3:.2f}/{f1['max']/1e3:.1f}")
print(f"{'frame p99, 1000 projectiles (us)':44} {f1k['p99']/1e3:14.2f} {'<= 1000':>12} {ok(f1k['p99'] <= 1e6)}")
print(f"{'fps equivalent, 1 / 1000 projectiles':44} {r1['fps_equivalent']:7.0f}/{r1000['fps_equivalent']:.0f}")
print(f"{'bridge overhead by name (ns)':44} {c['bridge_overhead_by_name_ns']:14.1f} {'<= 100':>12} {ok(c['bridge_overhead_by_name_ns'] <= 100)}")
print(f"{'bridge overhead by handle (ns)':44} {c['bridge_overhead_by_handle_ns']:14.1f} {'<= 40':>12} {ok(c['bridge_overhead_by_handle_ns'] <= 40)}")
print(f"{'calculate_trajectory by name / handle (ns)':44} {c['traj_by_name_ns']:7.1f}/{c['traj_by_handle_ns']:.1f}")
print(f"{'peak RSS, 1 / 1000 projectiles (MB)':44} {r1['peak_rss_mb']:7.1f}/{r1000['peak_rss_mb']:.1f} {'<= 20':>12} {ok(max(r1['peak_rss_mb'], r1000['peak_rss_mb']) <= 20)}")
print(f"{'load time, 1 / 1000 projectiles (ms)':44} {r1['load_ms']:7.2f}/{r1000['load_ms']:.2f} {'<= 50':>12} {ok(max(r1['load_ms'], r1000['load_ms']) <= 50)}")
print(f"{'native C: one trajectory (ns)':44} {c['native_c_traj_ns']:14.2f}")
print(f"{'native C: 1000-projectile frame (us)':44} {c['native_c_frame_1000_ns']/1e3:14.2f}")
print(f"{'native Python: one trajectory (ns)':44} {py1:14.0f}")
print(f"{'native Python: 1000-projectile frame (us)':44} {py1000/1e3:14.1f}")
print(f"wrote {out}")
PY
