#!/bin/sh
# Saving to an existing non-regular file must write through it, never replace
# it: `-o /dev/null` with an atomic rename would delete the device node. The
# test uses its own character device (1,3 = null) in a temporary folder, so a
# regression cannot damage the machine's /dev/null. Needs root for mknod;
# otherwise it is skipped (exit 77).
# usage: save_to_device.sh PORTALIS SOURCE_DIR
set -u
portalis=$1
src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! mknod "$dir/null" c 1 3 2>/dev/null; then
    echo "skip: mknod needs root"
    exit 77
fi
mkfifo "$dir/fifo"
pass=0
fail=0
check() {
    if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi
}
"$portalis" usd cat "$src/demos/projectile/projectile.usda" -o "$dir/null" >/dev/null 2>&1
check $? "usd cat -o device succeeds"
[ -c "$dir/null" ]
check $? "usd cat -o device: still a character device"
"$portalis" run "$src/demos/projectile/projectile.usda" --frames 3 -o "$dir/null" >/dev/null 2>&1
check $? "run -o device succeeds"
[ -c "$dir/null" ]
check $? "run -o device: still a character device"
cat "$dir/fifo" > "$dir/fifo.out" &
"$portalis" usd cat "$src/demos/projectile/projectile.usda" -o "$dir/fifo" >/dev/null 2>&1
check $? "usd cat -o fifo succeeds"
wait
[ -p "$dir/fifo" ] && [ -s "$dir/fifo.out" ]
check $? "usd cat -o fifo: still a FIFO, and the reader got the layer"
ls "$dir" | grep -q tmp
[ $? != 0 ]
check $? "no temporary files left"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
