#!/usr/bin/env bash
# The main job: builds Portalis (Release) and runs the demonstrations.
#  1. The projectile scene: `portalis run build/demos/projectile/projectile.usda`
#     runs the WasmPhysics controller (a C module compiled to wasm32 by the
#     build) for every frame, prints the report and writes the animated
#     build/demos/projectile/projectile.out.usda (it sublayers the scene; open
#     it in any USD tool). The build stages each demo's scenes and modules in
#     build/demos/<name>/, so nothing is written into the source tree.
#  2. The 1000-projectile sweep (bulk arrays).
#  2b. The robot arm (demos/robot_arm/README.md): UR5e IK at 120 Hz.
#  2c. The LiDAR demo (demos/lidar/README.md): a WasmSensor casts 102,400 rays
#     a frame, a filter module crops, voxelises and removes outliers; 3 frames.
#  2d. The warehouse fleet (demos/warehouse/README.md): 20 robots on a
#     1,060-waypoint map in the MAPF benchmark format (shipped in the repo):
#     Hungarian task allocation, A*, PIBT collision avoidance; 300 frames.
#  2e. The fluid demo (demos/fluid/README.md): 64^3 smoke past a sphere, a
#     WasmFluid module (MAC grid, multigrid-preconditioned pressure solve);
#     2 frames on the interpreter (bench/fluid/run.sh for the native tier);
#     fluid_export writes their density slice and projection as PNGs in
#     build/demos/fluid/images/.
#  2f. LiDAR and fluid again on the native tier (the modules compiled to C by
#     the system cc; the first run compiles and caches, see docs/aot.md).
#  3. The engine demonstration: the bench kernels (bench/kernels, small size)
#     as wasm on the Portalis interpreter vs native, checksums compared.
# Needs nothing outside this repository (scripts/deps.sh installs the tools).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
# quiet unless it fails (cargo reports progress on stderr)
if ! cmake --build build -j"$(nproc)" >build/build.log 2>&1; then
  tail -n 40 build/build.log >&2
  exit 1
fi
demo=build/demos/projectile
echo "== Projectile demo: portalis run $demo/projectile.usda"
build/bin/portalis run "$demo/projectile.usda"
echo
echo "== Parameter sweep: 1000 projectiles (bulk arrays)"
build/bin/portalis run "$demo/projectile_sweep.usda"
echo
echo "== Robot arm: portalis run build/demos/robot_arm/robot_arm.usda"
build/bin/portalis run build/demos/robot_arm/robot_arm.usda
echo
echo "== LiDAR demo: 102,400 rays a frame, sensor -> filter -> FilteredCloud (demos/lidar/README.md)"
build/bin/portalis run build/demos/lidar/lidar.usda --frames 3
echo
echo "== The same LiDAR scene on the native tier (the modules compiled to C by the system cc, cached; docs/aot.md)"
build/bin/portalis run build/demos/lidar/lidar.usda --frames 3 --tier native -o build/demos/lidar/lidar.native.out.usda
echo
echo "== Warehouse fleet: 20 robots, A* + PIBT on a MAPF-format map (demos/warehouse/README.md)"
build/bin/portalis run build/demos/warehouse/warehouse.usda
echo
echo "== Fluid demo: 64^3 smoke, WasmFluid module (demos/fluid/README.md)"
build/bin/portalis run build/demos/fluid/fluid.usda --frames 2
if [ -x build/bin/fluid_export ]; then
  build/bin/fluid_export build/demos/fluid/fluid.out.usda build/demos/fluid/images
else
  echo "fluid_export not built (libpng-dev, libopenvdb-dev: bash scripts/deps.sh): no images"
fi
echo
echo "== Fluid on the native tier: 30 frames"
build/bin/portalis run build/demos/fluid/fluid.usda --frames 30 --tier native -o build/demos/fluid/fluid.native.out.usda
echo
kb=build/bench-kernels
echo "== Portalis engine demo: the bench kernels (small size) as wasm vs native"
printf '%-11s %-18s %-18s %8s %s\n' kernel wasm native "wasm s" ""
fail=0
for k in fib sieve matmul mandelbrot stencil3d pcloud crc32 qsort; do
  start=$(date +%s.%N)
  got=$(build/bin/portalis run --invoke bench "$kb/lib-small/$k.wasm")
  end=$(date +%s.%N)
  hex=$(printf '%016x' "$got")
  want=$("$kb/native-small/$k" | awk '{print $2}')
  ok=OK; [ "$hex" = "$want" ] || { ok=MISMATCH; fail=1; }
  printf '%-11s %-18s %-18s %8.3f %s\n' "$k" "$hex" "$want" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" "$ok"
done
exit $fail
