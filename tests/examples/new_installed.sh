#!/bin/sh
# An installed Portalis scaffolds projects from its own installed SDK:
# installs the build into a temporary prefix, then `PREFIX/bin/portalis new
# module` (no --sdk) must point the project at PREFIX/include and
# PREFIX/share/portalis/sdk/rust, and the project must build and run.
#   new_installed.sh BUILD_DIR WORKDIR CHECK_SAMPLES RUSTC CARGO
set -eu
build=$1 work=$2 check=$3 rustc=$4 cargo=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > install.log 2>&1 || { cat install.log; exit 1; }
if [ ! -x "$prefix/bin/portalis" ] || [ ! -f "$prefix/include/portalis/guest/portalis.h" ]; then
    echo "skipped: cmake --install does not install portalis and the guest SDK"; exit 77
fi
for lang in c rust; do
    name=inst_$lang
    "$prefix/bin/portalis" new module "$name" --lang "$lang" > new.log
    if [ $lang = c ]; then
        grep -q "^PORTALIS_INCLUDE ?= $prefix/include\$" "$name/Makefile" ||
            { echo "FAIL: the C project does not use the installed header:"; cat "$name/Makefile"; exit 1; }
        make -C "$name" > make.log 2>&1 || { cat make.log; exit 1; }
    else
        grep -q "path = \"$prefix/share/portalis/sdk/rust\"" "$name/Cargo.toml" ||
            { echo "FAIL: the Rust project does not use the installed crate:"; cat "$name/Cargo.toml"; exit 1; }
        make -C "$name" RUSTC="$rustc" CARGO="$cargo" > make.log 2>&1 || { cat make.log; exit 1; }
    fi
    "$prefix/bin/portalis" run "$name/$name.usda" > run.log 2>&1 || { echo "FAIL: portalis run exited $?"; cat run.log; exit 1; }
    "$check" mover "$name/$name.out.usda" || exit 1
done
