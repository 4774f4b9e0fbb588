#!/bin/sh
# Load test of `portalis serve` inference (docs/serve.md, Numbers): wrk
# (Debian: wrk) sends small JSON requests of the projectile model to a
# server on loopback for DURATION seconds and reports requests/s and the
# latency distribution (p99), then, while wrk runs, the server's CPU time
# (user + system, all its threads) and thread switches (voluntary and
# involuntary) per request, from /proc: figures that depend much less on
# the machine's load than requests/s. bench/serve/ir.sh counts its
# instructions per request.
#   bench/serve/run.sh [BUILD_DIR] [DURATION] [CONNECTIONS] [SERVER OPTIONS...]
set -eu
build=${1:-build}
duration=${2:-10}
conns=${3:-8}
[ $# -gt 3 ] && shift 3 || set --
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "bench/serve: needs wrk (apt-get install wrk)" >&2; exit 1; }
out=$(mktemp)
"$build/bin/portalis" serve --models "$build/demos/projectile/triton" --listen 127.0.0.1:0 --instances 2 "$@" >"$out" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$out")
switches() { cat /proc/$pid/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n + 0}'; }
cpu_ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
served() { curl -s "${url}metrics" | awk '/^portalis_inference_requests_total/ {n += $2} END {print n + 0}'; }
echo "server $url, load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$here/infer.lua" "${url}v2/models/projectile_physics/infer" &
wrk_pid=$!
# switches counted while wrk runs (a thread that ended takes its counts along)
sleep 1
s0=$(switches) c0=$(cpu_ticks) r0=$(served)
sleep $((duration > 2 ? duration - 2 : 1))
s1=$(switches) c1=$(cpu_ticks) r1=$(served)
wait $wrk_pid
hz=$(getconf CLK_TCK)
[ "$r1" -gt "$r0" ] && awk "BEGIN {printf \"server per request: %.1f us CPU, %.2f thread switches (%d requests)\n\", \
    ($c1 - $c0) * 1e6 / $hz / ($r1 - $r0), ($s1 - $s0) / ($r1 - $r0), $r1 - $r0}"
