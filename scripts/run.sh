#!/usr/bin/env bash
# The main job: builds Portalis (Release) and runs the default demonstration:
# the projectile scene. `portalis run demos/projectile/projectile.usda` runs
# the WasmPhysics controller (a C module compiled to wasm32 by the build) for
# every frame, prints the report against the targets and writes the animated
# demos/projectile/projectile.out.usda (sublayers the scene; open it in any
# USD tool). Then the 1000-projectile sweep, then the secondary engine demo:
# the shared benchmark kernels as wasm vs native.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared="${PORTALIS_SHARED_DIR:-$root/../shared}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "== Projectile demo: portalis run demos/projectile/projectile.usda"
build/bin/portalis run demos/projectile/projectile.usda
echo
echo "== Parameter sweep: 1000 projectiles (bulk arrays)"
build/bin/portalis run demos/projectile/projectile_sweep.usda
echo
kb="$root/build/bench-kernels"
make -s -C "$shared/bench-kernels" BUILD="$kb" small >/dev/null
echo "Portalis engine demo: the bench kernels (small size) as wasm vs native"
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
