#!/bin/sh
# Installs the build into a temporary prefix and builds a user's program
# (consumer/) against it twice: with pkg-config and with CMake's
# find_package(Portalis). Both must run and print "consumer ok". Also checks
# the installed layout (binary, SONAME, archives, schema, guest header).
# usage: install_test.sh BUILD_DIR SOURCE_DIR LIBDIR "SANITIZER_FLAGS"
build=$1 src=$2 libdir=$3 san=$4
tmp=$(mktemp -d /tmp/portalis-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {
    if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi
}
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1
check $? "cmake --install (see below)" || cat "$tmp/install.log"
"$prefix/bin/portalis" --version | grep -q '^portalis '
check $? "installed bin/portalis runs"
so=$(ls "$prefix/$libdir"/libportalis.so.*.*.* 2>/dev/null | head -n1)
soname=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
case "$soname" in libportalis.so.[0-9]*) check 0 "" ;; *) check 1 "SONAME of '$so' is '$soname'" ;; esac
[ -L "$prefix/$libdir/libportalis.so" ]
check $? "libportalis.so development link"
for a in base wasm wasi usd ef bridge host; do
    [ -f "$prefix/$libdir/libportalis_$a.a" ]
    check $? "static archive libportalis_$a.a"
done
nm -D --defined-only "$so" | grep -q ' pusd__'
[ $? != 0 ]
check $? "internal pusd__ symbols are not exported"
[ -f "$prefix/include/portalis/host.h" ] && [ -f "$prefix/share/portalis/schemas/portalis/generatedSchema.usda" ]
check $? "headers and schema installed"
if [ -f "$src/include/portalis/guest/portalis.h" ]; then
    [ -f "$prefix/include/portalis/guest/portalis.h" ]
    check $? "guest SDK header installed"
fi

# the installed demo finds its module in share/portalis/modules
if [ -f "$build/demos/projectile/modules/projectile_c.wasm" ]; then
    "$prefix/bin/portalis" run "$prefix/share/portalis/demos/projectile/projectile.usda" --frames 3 \
        -o "$tmp/demo.usda" >"$tmp/demo.log" 2>&1
    check $? "installed demo runs: $(cat "$tmp/demo.log")"
fi

# pkg-config
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs portalis)
check $? "pkg-config finds portalis"
# shellcheck disable=SC2086
cc $san -o "$tmp/consumer_pc" "$src/tests/install/consumer/consumer.c" $flags 2>"$tmp/cc.log"
check $? "cc with pkg-config flags: $(cat "$tmp/cc.log")"
LD_LIBRARY_PATH="$prefix/$libdir" "$tmp/consumer_pc" | grep -q '^consumer ok$'
check $? "pkg-config program runs"

# CMake
cmake -S "$src/tests/install/consumer" -B "$tmp/cb" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" >"$tmp/cmake.log" 2>&1 &&
    cmake --build "$tmp/cb" >>"$tmp/cmake.log" 2>&1
check $? "find_package(Portalis) project builds" || cat "$tmp/cmake.log"
"$tmp/cb/consumer" | grep -q '^consumer ok$'
check $? "CMake program runs (RPATH to the prefix)"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
