#!/bin/sh
# Builds the live viewer's bundle (docs/serve.md): npm ci from the lock file
# in WORK (node_modules never lands in the source tree), then esbuild bundles
# src/main.js with three and uPlot into OUT/app.js beside index.html and the
# style sheets. When npm ci fails (no registry, no cache)
# the viewer is left unbuilt with a warning, so the C build goes on; the
# viewer_bundle test then fails and says why.
#   build.sh SRC_DIR WORK_DIR OUT_DIR
set -u
src=$1 work=$2 out=$3
mkdir -p "$work" "$out" || exit 1
cp "$src/package.json" "$src/package-lock.json" "$work/" || exit 1
if ! cmp -s "$work/package-lock.json" "$work/installed-lock.json"; then
  if ! (cd "$work" && npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1; then
    echo "web/build.sh: warning: npm ci failed (see $work/npm.log); the viewer is not built" >&2
    rm -f "$out/app.js" "$work/installed-lock.json"
    exit 0
  fi
  cp "$work/package-lock.json" "$work/installed-lock.json"
fi
NODE_PATH="$work/node_modules" "$work/node_modules/.bin/esbuild" "$src/src/main.js" --bundle --minify \
  --target=es2020 --log-level=warning --outfile="$out/app.js" || exit 1
cp "$src/src/index.html" "$src/src/style.css" "$work/node_modules/uplot/dist/uPlot.min.css" "$out/"
