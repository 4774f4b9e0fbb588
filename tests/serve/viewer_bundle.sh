#!/bin/sh
# The viewer's bundle was built from the lock file (web/build.sh): app.js is
# there, parses, holds three.js and the viewer's test hook, and index.html
# loads it. On failure, the end of npm's log says why.
#   viewer_bundle.sh OUT_DIR WORK_DIR NODE
out=$1 work=$2 node=$3
fail() {
  echo "FAIL: $*"
  [ -f "$work/npm.log" ] && tail -20 "$work/npm.log"
  echo "viewer_bundle: 0 passed, 1 failed"
  exit 1
}
[ -s "$out/app.js" ] || fail "no $out/app.js: the viewer was not built (npm ci failed?)"
[ "$(wc -c <"$out/app.js")" -gt 100000 ] || fail "app.js is too small to hold three.js"
"$node" --check "$out/app.js" || fail "app.js does not parse"
grep -q "WebGLRenderer" "$out/app.js" || fail "app.js has no three.js WebGLRenderer"
grep -q "window.portalis" "$out/app.js" || fail "app.js has no viewer (window.portalis)"
grep -q 'src="app.js"' "$out/index.html" || fail "index.html does not load app.js"
for f in style.css uPlot.min.css; do [ -s "$out/$f" ] || fail "no $f"; done
[ -d "$work/node_modules/three" ] && [ ! -d "$(dirname "$0")/../../web/node_modules" ] || fail "node_modules is not (only) in the build tree"
echo "viewer_bundle: 7 passed, 0 failed"
