#!/bin/sh
# Fails when a tracked C file differs from what clang-format (the root
# .clang-format and the per-layer ones) would write, naming each file, so the
# style stays applied without a reviewer checking it. Fix: `clang-format -i FILE`
# (or `git clang-format` on staged changes). Skips (exit 77) without clang-format.
root=$1
fmt=$(command -v clang-format-14 || command -v clang-format) || { echo "clang-format not found: skipped"; exit 77; }
cd "$root" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null | grep -v -E '^demos/.*/rust/') || { echo "not a git checkout: skipped"; exit 77; }
# One clang-format process for the whole tree (one per file cost a minute on a
# loaded machine); it names each differing file in its first warning line.
bad=$(for f in $files; do [ -f "$f" ] && echo "$f"; done | xargs "$fmt" --dry-run 2>&1 |
      sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: warning: code should be clang-formatted.*/\1/p' | sort -u)
for f in $bad; do echo "$f: not formatted (clang-format -i $f)"; done
n=$(printf '%s' "$bad" | grep -c .)
echo "format: $n file(s) differ"
[ "$n" = 0 ]
