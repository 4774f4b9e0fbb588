# The toolchains that compile guest modules to WebAssembly, found once for
# the whole build (demos/, examples/, bench/ and tests/ all use these):
#
#   PORTALIS_WAT2WASM       wat2wasm (Debian: wabt); empty when missing
#   PORTALIS_WASI_CC        clang that compiles and links wasm32-wasi programs
#                           against wasi-libc (Debian: clang lld wasi-libc
#                           libclang-rt-14-dev-wasm32); empty when missing
#   PORTALIS_WASI_CFLAGS    the target (and sysroot, where needed) to pass it
#   PORTALIS_RUSTC          rustc with wasm32 standard libraries: Debian's
#                           /usr/bin/rustc (libstd-rust-dev-wasm32); a rustup
#                           rustc first on PATH usually lacks them
#   PORTALIS_RUST_WASM32    TRUE when PORTALIS_RUSTC has wasm32-unknown-unknown
#   PORTALIS_RUST_WASI      TRUE when PORTALIS_RUSTC has wasm32-wasi
#
# and helpers that add a custom command producing one module:
#   portalis_wat_module(OUT file.wasm WAT file.wat [FLAGS ...])
#   portalis_c_module(OUT file.wasm SOURCES a.c ... [CFLAGS ...] [LDFLAGS ...])
#       a reactor-less "library" module: no entry point, exports by attribute
#   portalis_rust_module(OUT file.wasm SOURCE lib.rs [TARGET wasm32-wasi] [FLAGS ...] [DEPENDS ...])
# Each caller reports (message(STATUS)) what it skips when a tool is missing.
include_guard(GLOBAL)

find_program(PORTALIS_WAT2WASM wat2wasm)

find_program(PORTALIS_WASI_CLANG NAMES clang clang-14)
set(PORTALIS_WASI_CC "")
set(PORTALIS_WASI_CFLAGS --target=wasm32-wasi)
if(PORTALIS_WASI_CLANG)
  # Debian's wasi-libc installs into clang's default wasm32-wasi paths
  # (/usr/lib/wasm32-wasi); other distributions use a sysroot.
  if(NOT EXISTS /usr/lib/wasm32-wasi/libc.a AND EXISTS /usr/share/wasi-sysroot/lib/wasm32-wasi/libc.a)
    list(APPEND PORTALIS_WASI_CFLAGS --sysroot=/usr/share/wasi-sysroot)
  endif()
  if(NOT DEFINED PORTALIS_WASI_CC_WORKS OR NOT PORTALIS_WASI_CC_PROBED STREQUAL "${PORTALIS_WASI_CLANG}")
    set(_probe_dir ${CMAKE_BINARY_DIR}/CMakeFiles/portalis_wasm_probe)
    file(MAKE_DIRECTORY ${_probe_dir})
    # A WASI command using libc and libm: what the guests of the tests need.
    file(WRITE ${_probe_dir}/probe.c
         "#include <math.h>\n#include <stdio.h>\nint main(int c, char **v) { (void)v; printf(\"%g\", sin((double)c)); return 0; }\n")
    execute_process(COMMAND ${PORTALIS_WASI_CLANG} ${PORTALIS_WASI_CFLAGS} -O2 ${_probe_dir}/probe.c -lm
                            -o ${_probe_dir}/probe.wasm
                    RESULT_VARIABLE _probe_rc OUTPUT_QUIET ERROR_QUIET)
    if(_probe_rc EQUAL 0)
      set(PORTALIS_WASI_CC_WORKS TRUE CACHE INTERNAL "")
    else()
      set(PORTALIS_WASI_CC_WORKS FALSE CACHE INTERNAL "")
    endif()
    set(PORTALIS_WASI_CC_PROBED "${PORTALIS_WASI_CLANG}" CACHE INTERNAL "")
  endif()
  if(PORTALIS_WASI_CC_WORKS)
    set(PORTALIS_WASI_CC ${PORTALIS_WASI_CLANG})
  endif()
endif()

set(PORTALIS_RUSTC /usr/bin/rustc CACHE FILEPATH "rustc with the wasm32 standard libraries (Debian's: libstd-rust-dev-wasm32)")
set(PORTALIS_RUST_WASM32 FALSE)
set(PORTALIS_RUST_WASI FALSE)
if(EXISTS ${PORTALIS_RUSTC})
  execute_process(COMMAND ${PORTALIS_RUSTC} --print sysroot OUTPUT_VARIABLE _rs_root
                  OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rs_rc ERROR_QUIET)
  if(_rs_rc EQUAL 0 AND EXISTS ${_rs_root}/lib/rustlib/wasm32-unknown-unknown)
    set(PORTALIS_RUST_WASM32 TRUE)
  endif()
  if(_rs_rc EQUAL 0 AND EXISTS ${_rs_root}/lib/rustlib/wasm32-wasi)
    set(PORTALIS_RUST_WASI TRUE)
  endif()
endif()

if(NOT PORTALIS_WASM_TOOLCHAINS_REPORTED)
  set(PORTALIS_WASM_TOOLCHAINS_REPORTED TRUE CACHE INTERNAL "")
  message(STATUS "wasm toolchains: wat2wasm ${PORTALIS_WAT2WASM}; wasm32-wasi C '${PORTALIS_WASI_CC}'; "
                 "rustc ${PORTALIS_RUSTC} wasm32-unknown-unknown=${PORTALIS_RUST_WASM32} wasm32-wasi=${PORTALIS_RUST_WASI}")
endif()

function(portalis_wat_module)
  cmake_parse_arguments(A "" "OUT;WAT" "FLAGS" ${ARGN})
  add_custom_command(OUTPUT ${A_OUT}
    COMMAND ${PORTALIS_WAT2WASM} ${A_FLAGS} ${A_WAT} -o ${A_OUT}
    DEPENDS ${A_WAT} VERBATIM)
endfunction()

function(portalis_c_module)
  cmake_parse_arguments(A "" "OUT" "SOURCES;CFLAGS;LDFLAGS;DEPENDS" ${ARGN})
  add_custom_command(OUTPUT ${A_OUT}
    COMMAND ${PORTALIS_WASI_CC} ${PORTALIS_WASI_CFLAGS} -O2 ${A_CFLAGS} -nostartfiles -Wl,--no-entry
            ${A_LDFLAGS} -o ${A_OUT} ${A_SOURCES} -lm
    DEPENDS ${A_SOURCES} ${A_DEPENDS} VERBATIM)
endfunction()

function(portalis_rust_module)
  cmake_parse_arguments(A "" "OUT;SOURCE;TARGET" "FLAGS;DEPENDS" ${ARGN})
  if(NOT A_TARGET)
    set(A_TARGET wasm32-unknown-unknown)
  endif()
  get_filename_component(_dir ${A_OUT} DIRECTORY)
  add_custom_command(OUTPUT ${A_OUT}
    COMMAND ${PORTALIS_RUSTC} --target ${A_TARGET} -O --crate-type cdylib -C strip=symbols ${A_FLAGS}
            -o ${A_OUT} ${A_SOURCE}
    DEPENDS ${A_SOURCE} ${A_DEPENDS} WORKING_DIRECTORY ${_dir} VERBATIM)
endfunction()
