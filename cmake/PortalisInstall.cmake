# libportalis.so and what `cmake --install` puts under the prefix:
#   bin/portalis
#   include/portalis/*.h (and guest/ for modules)
#   lib/libportalis.so.X.Y.Z (SONAME libportalis.so.X) and the layers' static
#     archives libportalis_<layer>.a
#   lib/pkgconfig/portalis.pc                 pkg-config --cflags --libs portalis
#   lib/cmake/Portalis/                       find_package(Portalis) -> Portalis::portalis
#                                             (and Portalis::portalis_<layer>, static)
#   share/portalis/schemas/portalis/          the codeless USD schema
#   share/portalis/sdk/rust/                  the Rust guest crate
include(CMakePackageConfigHelpers)
find_package(Threads REQUIRED)
set(PORTALIS_LAYERS base wasm wasi usd ef bridge host) # lowest first

# The shared library: every layer's archive, whole; exports only the public
# prefixes (cmake/portalis.map).
set(_so_src ${CMAKE_BINARY_DIR}/portalis_so.c)
file(WRITE ${_so_src} "/* libportalis.so is the layers' archives linked whole (cmake/PortalisInstall.cmake). */\n"
                      "typedef int portalis_so_unit;\n")
add_library(portalis_shared SHARED ${_so_src})
set(_archives "")
foreach(layer ${PORTALIS_LAYERS})
  list(PREPEND _archives portalis_${layer})
endforeach()
target_link_libraries(portalis_shared PRIVATE -Wl,--whole-archive ${_archives} -Wl,--no-whole-archive
                      m Threads::Threads)
target_link_options(portalis_shared PRIVATE -Wl,--version-script=${CMAKE_CURRENT_LIST_DIR}/portalis.map)
if(NOT PORTALIS_SANITIZE)
  target_link_options(portalis_shared PRIVATE -Wl,--no-undefined)
endif()
set_target_properties(portalis_shared PROPERTIES
  OUTPUT_NAME portalis EXPORT_NAME portalis
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/portalis.map)
target_include_directories(portalis_shared INTERFACE $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>)

install(TARGETS portalis RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS portalis_shared ${_archives} EXPORT PortalisTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/portalis DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/schemas/portalis DESTINATION ${CMAKE_INSTALL_DATADIR}/portalis/schemas)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/sdk/rust DESTINATION ${CMAKE_INSTALL_DATADIR}/portalis/sdk OPTIONAL
        PATTERN target EXCLUDE)

set(_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/Portalis)
install(EXPORT PortalisTargets NAMESPACE Portalis:: DESTINATION ${_cmakedir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/PortalisConfig.cmake.in
  ${CMAKE_BINARY_DIR}/PortalisConfig.cmake INSTALL_DESTINATION ${_cmakedir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/PortalisConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/PortalisConfig.cmake ${CMAKE_BINARY_DIR}/PortalisConfigVersion.cmake
        DESTINATION ${_cmakedir})

# Relocatable: prefix is found from the .pc file's own place.
string(REGEX REPLACE "[^/]+" ".." PORTALIS_PC_TO_PREFIX "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(${CMAKE_CURRENT_LIST_DIR}/portalis.pc.in ${CMAKE_BINARY_DIR}/portalis.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/portalis.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
