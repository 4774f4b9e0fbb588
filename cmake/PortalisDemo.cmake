# Building and staging a demonstration (demos/NAME/): its guest modules are
# compiled into build/demos/NAME/modules/, its scenes are copied next to them
# (build/demos/NAME/), and the modules are also copied into the build tree's
# module folder (build/share/portalis/modules/), the copy of the installed
# module folder that `portalis run` searches for a module not found next to
# its scene (docs/host.md), so the scene in the source tree runs too. A build
# writes nothing into the source tree.
#
# A demo's CMakeLists.txt names its modules, then stages:
#
#   portalis_demo_c_module(NAME SOURCES a.c ... [CFLAGS ...] [LDFLAGS ...] [DEPENDS ...])
#       modules/NAME.wasm from C (wasm32-wasi, no libc startup code; the guest
#       SDK header <portalis/guest/portalis.h> is on the include path; symbols
#       stripped unless LDFLAGS is given)
#   portalis_demo_rust_module(NAME SOURCE lib.rs [SDK] [FLAGS ...] [DEPENDS ...])
#       modules/NAME.wasm from Rust (wasm32-unknown-unknown, std); SDK links
#       the guest crate (sdk/rust) as `portalis`
#   portalis_stage_demo(DEMO [SCENES a.usda ...] [MODULES x.wasm ...])
#       target demo_DEMO (built by default) that stages the scenes (paths
#       relative to the demo's source folder), the modules named above and
#       any further MODULES (already produced by a custom command), and
#       installs them (share/portalis/demos/DEMO/, share/portalis/modules/).
#
# Relative sources are taken from the demo's source folder. A module whose
# toolchain is missing (scripts/deps.sh installs them) is skipped with a
# message and left out of the staging; the tests that need it skip too.
# Module file names are unique across demos: they share one module folder.
include_guard(GLOBAL)
include(PortalisWasmToolchains)

set(PORTALIS_MODULE_STAGE ${CMAKE_BINARY_DIR}/${CMAKE_INSTALL_DATADIR}/portalis/modules)
file(MAKE_DIRECTORY ${PORTALIS_MODULE_STAGE})

# The folder a module of the current demo is built in, created on first use.
function(_portalis_demo_module_path name out)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/modules)
  file(MAKE_DIRECTORY ${dir})
  set(${out} ${dir}/${name}.wasm PARENT_SCOPE)
endfunction()

# Records a module for portalis_stage_demo in the current directory.
function(_portalis_demo_add_module file)
  set_property(DIRECTORY APPEND PROPERTY PORTALIS_DEMO_MODULES ${file})
endfunction()

function(_portalis_demo_skip name why)
  get_filename_component(demo ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  message(STATUS "${demo} demo: module ${name} skipped: ${why} (scripts/deps.sh)")
endfunction()

function(_portalis_demo_sources out)
  set(list "")
  foreach(s ${ARGN})
    get_filename_component(abs ${s} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND list ${abs})
  endforeach()
  set(${out} ${list} PARENT_SCOPE)
endfunction()

# How a module helper starts (a macro: it reads the caller's A_SOURCE(S) and
# A_DEPENDS): out, the module file, and src and dep as absolute paths; out
# stays empty, with a message, when the toolchain variable `ok` is false.
macro(_portalis_demo_begin name ok why)
  set(out "")
  if(${ok})
    _portalis_demo_module_path(${name} out)
    _portalis_demo_sources(src ${A_SOURCES} ${A_SOURCE})
    _portalis_demo_sources(dep ${A_DEPENDS})
  else()
    _portalis_demo_skip(${name} "${why}")
  endif()
endmacro()

function(portalis_demo_c_module name)
  cmake_parse_arguments(A "" "" "SOURCES;CFLAGS;LDFLAGS;DEPENDS" ${ARGN})
  _portalis_demo_begin(${name} PORTALIS_WASI_CC "clang/wasm-ld/wasi-libc not found")
  if(NOT out)
    return()
  endif()
  if(NOT DEFINED A_LDFLAGS)
    set(A_LDFLAGS -Wl,--strip-all)
  endif()
  portalis_c_module(OUT ${out} SOURCES ${src} CFLAGS -I${PROJECT_SOURCE_DIR}/include ${A_CFLAGS}
                    LDFLAGS ${A_LDFLAGS} DEPENDS ${dep})
  _portalis_demo_add_module(${out})
endfunction()

function(portalis_demo_rust_module name)
  cmake_parse_arguments(A "SDK" "SOURCE" "FLAGS;DEPENDS" ${ARGN})
  _portalis_demo_begin(${name} PORTALIS_RUST_WASM32
                       "${PORTALIS_RUSTC} lacks wasm32-unknown-unknown (libstd-rust-dev-wasm32)")
  if(NOT out)
    return()
  endif()
  if(A_SDK)
    # The guest crate without its panic handler (the module uses std, which
    # has one), built once per demo next to its modules.
    get_filename_component(dir ${out} DIRECTORY)
    set(sdk ${PROJECT_SOURCE_DIR}/sdk/rust/src/lib.rs)
    set(rlib ${dir}/rust-sdk/libportalis.rlib)
    get_property(have DIRECTORY PROPERTY PORTALIS_DEMO_RUST_SDK)
    if(NOT have)
      set_property(DIRECTORY PROPERTY PORTALIS_DEMO_RUST_SDK TRUE)
      file(MAKE_DIRECTORY ${dir}/rust-sdk)
      add_custom_command(OUTPUT ${rlib}
        COMMAND ${PORTALIS_RUSTC} --edition 2021 --target wasm32-unknown-unknown -O --crate-type rlib
                --crate-name portalis -o ${rlib} ${sdk}
        DEPENDS ${sdk} VERBATIM)
    endif()
    list(APPEND A_FLAGS --edition 2021 -D warnings --extern portalis=${rlib})
    list(APPEND dep ${rlib})
  endif()
  portalis_rust_module(OUT ${out} SOURCE ${src} FLAGS ${A_FLAGS} DEPENDS ${dep})
  _portalis_demo_add_module(${out})
endfunction()

function(portalis_stage_demo name)
  cmake_parse_arguments(A "" "" "SCENES;MODULES" ${ARGN})
  get_property(mods DIRECTORY PROPERTY PORTALIS_DEMO_MODULES)
  list(APPEND mods ${A_MODULES})
  set(out ${CMAKE_CURRENT_BINARY_DIR})
  set(staged "")
  foreach(s ${A_SCENES})
    get_filename_component(src ${s} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    get_filename_component(fn ${s} NAME)
    add_custom_command(OUTPUT ${out}/${fn}
      COMMAND ${CMAKE_COMMAND} -E copy_if_different ${src} ${out}/${fn}
      DEPENDS ${src} VERBATIM)
    list(APPEND staged ${out}/${fn})
    install(FILES ${src} DESTINATION ${CMAKE_INSTALL_DATADIR}/portalis/demos/${name})
  endforeach()
  foreach(m ${mods})
    get_filename_component(fn ${m} NAME)
    add_custom_command(OUTPUT ${PORTALIS_MODULE_STAGE}/${fn}
      COMMAND ${CMAKE_COMMAND} -E copy_if_different ${m} ${PORTALIS_MODULE_STAGE}/${fn}
      DEPENDS ${m} VERBATIM)
    list(APPEND staged ${PORTALIS_MODULE_STAGE}/${fn})
    install(FILES ${m} DESTINATION ${CMAKE_INSTALL_DATADIR}/portalis/modules)
  endforeach()
  add_custom_target(demo_${name} ALL DEPENDS ${staged} ${mods})
endfunction()
