#!/bin/sh
# `portalis new module` scaffolds a project that builds with its Makefile (the
# commands of docs/modules.md) and whose scene runs and records the expected
# samples:   new_module.sh PORTALIS CHECK_SAMPLES c|rust WORKDIR [RUSTC CARGO]
set -eu
portalis=$1 check=$2 lang=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work"
name=hello_$lang
"$portalis" new module "$name" --lang "$lang" > new.log
grep -q "$name/Makefile" new.log || { echo "FAIL: portalis new did not list the Makefile"; cat new.log; exit 1; }
# A second run must refuse to overwrite, --force must not.
if "$portalis" new module "$name" --lang "$lang" 2> again.log; then
    echo "FAIL: portalis new overwrote an existing project"; exit 1
fi
grep -q "exists; pass --force" again.log || { echo "FAIL: unclear refusal:"; cat again.log; exit 1; }
"$portalis" new module "$name" --lang "$lang" --force > /dev/null
if [ "$lang" = rust ]; then
    make -C "$name" RUSTC="$5" CARGO="$6" > make.log 2>&1 || { cat make.log; exit 1; }
else
    make -C "$name" > make.log 2>&1 || { cat make.log; exit 1; }
fi
"$portalis" run "$name/$name.usda" > run.log 2>&1 || { echo "FAIL: portalis run exited $?"; cat run.log; exit 1; }
if grep -q "log:" run.log; then echo "FAIL: the module logged a problem:"; cat run.log; exit 1; fi
exec "$check" mover "$name/$name.out.usda"
