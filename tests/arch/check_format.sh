#!/bin/sh
# Fails when a tracked C file differs from what clang-format (the root
# .clang-format and the per-layer ones) would write, naming each file, so the
# style stays applied without a reviewer checking it. Fix: `clang-format -i FILE`
# (or `git clang-format` on staged changes). Skips (exit 77) without clang-format.
root=$1
fmt=$(command -v clang-format-14 || command -v clang-format) || { echo "clang-format not found: skipped"; exit 77; }
cd "$root" || exit 1
git ls-files '*.c' '*.h' >/dev/null 2>&1 || { echo "not a git checkout: skipped"; exit 77; }
bad=0
for f in $(git ls-files '*.c' '*.h' | grep -v -E '^demos/.*/rust/'); do
  [ -f "$f" ] || continue
  if ! "$fmt" --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "$f: not formatted (clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "format: $bad file(s) differ"
[ "$bad" = 0 ]
