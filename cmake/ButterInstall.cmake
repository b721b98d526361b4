# `cmake --install build [--prefix P]` lays out what a third party needs to build and run plugins:
#   P/bin/butter
#   P/include/butter/...                    the SDK headers
#   P/lib/butter/plugins/*.so               the standard plugins and the examples (the host looks
#                                           here: <exe>/../lib/butter/plugins)
#   P/lib/cmake/butter/                     butterConfig.cmake, butterConfigVersion.cmake,
#                                           butterTargets.cmake, ButterPlugin.cmake, butter-plugin.map
#   P/lib/pkgconfig/butter.pc
#   P/share/doc/butter/README.md            the SDK's README
# Every installed file is relocatable: nothing records the configure-time prefix.
include(CMakePackageConfigHelpers)

set(BUTTER_CMAKE_INSTALL_DIR lib/cmake/butter)

# The plugin ABI of the headers, for the package and the .pc file.
file(STRINGS ${PROJECT_SOURCE_DIR}/sdk/include/butter/version.h abi_lines
  REGEX "^#define BUTTER_ABI_(MAJOR|MINOR|REVISION) [0-9]+")
foreach(part MAJOR MINOR REVISION)
  string(REGEX REPLACE ".*#define BUTTER_ABI_${part} ([0-9]+).*" "\\1" abi_${part} "${abi_lines}")
endforeach()
set(BUTTER_ABI_VERSION ${abi_MAJOR}.${abi_MINOR}.${abi_REVISION})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/butter DESTINATION include)
install(FILES ${PROJECT_SOURCE_DIR}/sdk/README.md DESTINATION share/doc/butter)
# The examples the SDK README points at, next to it (share/doc/butter/examples/...), so that the
# installed docs name files that are there. Their CMakeLists.txt build them in this tree; out of
# tree, `butter new-plugin` writes a standalone project (SDK README: "Build flags a plugin needs").
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/echo ${PROJECT_SOURCE_DIR}/examples/echo-c
  DESTINATION share/doc/butter/examples)

set_target_properties(butter_sdk PROPERTIES EXPORT_NAME sdk)
install(TARGETS butter_sdk butter EXPORT butterTargets RUNTIME DESTINATION bin)
install(EXPORT butterTargets NAMESPACE butter:: DESTINATION ${BUTTER_CMAKE_INSTALL_DIR})

# The standard plugins and the examples: everything butter_all_plugins builds.
get_target_property(butter_installed_plugins butter_all_plugins MANUALLY_ADDED_DEPENDENCIES)
install(TARGETS ${butter_installed_plugins} LIBRARY DESTINATION lib/butter/plugins)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/butterConfig.cmake.in
  ${CMAKE_BINARY_DIR}/butterConfig.cmake INSTALL_DESTINATION ${BUTTER_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/butterConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_BINARY_DIR}/butterConfig.cmake
  ${CMAKE_BINARY_DIR}/butterConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/ButterPlugin.cmake
  ${CMAKE_CURRENT_LIST_DIR}/butter-plugin.map
  DESTINATION ${BUTTER_CMAKE_INSTALL_DIR})

if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(BUTTER_PC_GNU_UNIQUE " -fno-gnu-unique")
else()
  set(BUTTER_PC_GNU_UNIQUE "")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/butter.pc.in ${CMAKE_BINARY_DIR}/butter.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/butter.pc DESTINATION lib/pkgconfig)
