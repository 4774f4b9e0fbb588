#!/bin/sh
# Instructions per inference request of `portalis serve` (docs/serve.md,
# Numbers), independent of the machine's load: the server runs under
# callgrind twice, answering N1 and then N2 small JSON requests of the
# projectile model (client.py, one keep-alive connection); the difference
# of the two totals divided by N2 - N1 is the cost of one request in the
# server's process (HTTP parsing, routing, JSON in and out, the call),
# without start-up and shutdown. The kernel's share (socket calls) is not
# counted.
#   bench/serve/ir.sh [BUILD_DIR] [N1] [N2]
set -eu
build=${1:-build}
n1=${2:-200}
n2=${3:-1200}
here=$(cd "$(dirname "$0")" && pwd)
command -v valgrind >/dev/null || { echo "bench/serve: needs valgrind" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total() { # N: the server's instruction count for N requests
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" \
        "$build/bin/portalis" serve --models "$build/demos/projectile/triton" --listen 127.0.0.1:0 \
        --instances 2 >"$tmp/out.$1" 2>"$tmp/err.$1" &
    pid=$!
    for _ in $(seq 600); do grep -q listening "$tmp/out.$1" && break; sleep 0.1; done
    url=$(sed -n 's/.*listening on //p' "$tmp/out.$1")
    [ -n "$url" ] || { cat "$tmp/err.$1" >&2; kill $pid; exit 1; }
    python3 "$here/client.py" "$url" "$1"
    kill -TERM $pid
    wait $pid
    sed -n 's/^totals: //p' "$tmp/cg.$1"
}
a=$(total "$n1")
b=$(total "$n2")
echo "server instructions: $a for $n1 requests, $b for $n2"
echo "per request: $(( (b - a) / (n2 - n1) ))"
if [ "${KEEP:-}" ]; then cp "$tmp/cg.$n2" "$KEEP"; fi
