#!/bin/sh
# Load test of `portalis serve` inference (docs/serve.md, Numbers): wrk
# (Debian: wrk) sends small JSON requests of the projectile model to a
# server on loopback for DURATION seconds and reports requests/s and the
# latency distribution (p99).
#   bench/serve/run.sh [BUILD_DIR] [DURATION] [CONNECTIONS]
set -eu
build=${1:-build}
duration=${2:-10}
conns=${3:-8}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "bench/serve: needs wrk (apt-get install wrk)" >&2; exit 1; }
out=$(mktemp)
"$build/bin/portalis" serve --models "$build/demos/projectile/triton" --listen 127.0.0.1:0 --instances 2 >"$out" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$out")
echo "server $url, load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$here/infer.lua" "${url}v2/models/projectile_physics/infer"
