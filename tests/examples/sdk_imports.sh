#!/bin/sh
# Every function the host provides in the "portalis" import module (the IMP
# list of src/host) is declared in the C header and in the Rust SDK's raw
# imports:   sdk_imports.sh SOURCE_DIR
# (Their names and types are checked against the host by linking: the
# sdk_abi test loads modules that call every declaration.)
set -eu
src=$1
header=$src/include/portalis/guest/portalis.h rust=$src/sdk/rust/src/lib.rs
names=$(grep -ho 'IMP("[A-Za-z0-9_]*"' "$src"/src/host/*.c | sed 's/IMP("//; s/"//' | sort -u)
[ -n "$names" ] || { echo "FAIL: no IMP(\"name\", ...) entries found in src/host/*.c (moved? update this test)"; exit 1; }
bad=0 n=0
for name in $names; do
    n=$((n + 1))
    grep -q "PORTALIS_IMPORT_(\"$name\")" "$header" ||
        { echo "FAIL: portalis.$name is provided by the host but not declared in include/portalis/guest/portalis.h"; bad=1; }
    grep -q "pub fn $name(" "$rust" ||
        { echo "FAIL: portalis.$name is provided by the host but not declared in sdk/rust/src/lib.rs (mod raw + a safe wrapper)"; bad=1; }
done
[ $bad -eq 0 ] && echo "$n host imports, each declared in both SDKs" && echo "$n passed, 0 failed"
exit $bad
