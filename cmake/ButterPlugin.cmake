# butter_add_plugin(<name> SOURCES ... [LIBS ...] [OUTPUT_DIR dir] [NO_SDK]): one loadable module
# <name>.so, built against the SDK only, exporting nothing but `butter_entry`.
#
# The same file serves the Butter tree (included by the top CMakeLists.txt; plugins land in
# build/plugins/) and third-party projects (installed next to butterConfig.cmake in
# <prefix>/lib/cmake/butter/ and included by find_package(butter); plugins land in the calling
# directory's build folder unless OUTPUT_DIR or BUTTER_PLUGIN_OUTPUT_DIR says otherwise). The
# version script butter-plugin.map sits beside this file in both places.
#
# NO_SDK does not link butter::sdk: the caller gives the include directories (the frozen ABI 1.0
# headers of tests/plugins/abi-1.0 use it).
set(BUTTER_VERSION_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/butter-plugin.map CACHE INTERNAL "")

function(butter_plugin_flags target)
  cmake_parse_arguments(F "NO_SDK" "" "" ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # The C++ wrapper needs C++20; a project that asks for nothing gets it (C plugins are C99).
  get_target_property(cxx_std ${target} CXX_STANDARD)
  if(NOT cxx_std OR cxx_std LESS 20 OR cxx_std EQUAL 98)
    set_target_properties(${target} PROPERTIES CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
  endif()
  get_target_property(c_std ${target} C_STANDARD)
  if(NOT c_std)
    set_target_properties(${target} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)
  endif()
  target_link_options(${target} PRIVATE
    -Wl,--version-script=${BUTTER_VERSION_SCRIPT} -Wl,--no-undefined)
  # GCC marks some C++ symbols STB_GNU_UNIQUE, which makes dlclose keep the object resident and
  # silently defeats hot swap.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-gnu-unique>)
  endif()
  if(NOT F_NO_SDK)
    target_link_libraries(${target} PRIVATE butter::sdk)
  endif()
endfunction()

function(butter_add_plugin name)
  cmake_parse_arguments(P "NO_SDK" "OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${P_SOURCES})
  if(P_NO_SDK)
    butter_plugin_flags(${name} NO_SDK)
  else()
    butter_plugin_flags(${name})
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${BUTTER_PLUGIN_OUTPUT_DIR})
  endif()
  if(P_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  endif()
  if(P_LIBS)
    target_link_libraries(${name} PRIVATE ${P_LIBS})
  endif()
endfunction()

# butter_add_plugin_core(<name> SOURCES ... [LIBS ...] [INCLUDE_DIRS ...]): a static library of a
# plugin's I/O-free core (its engine, codecs and rules), compiled once and linked into the plugin,
# its unit tests, its simulator, benchmarks and fuzzers. Built as the plugin's own sources are:
# position-independent, C++20, hidden symbols, and without STB_GNU_UNIQUE (which would keep the
# module resident after dlclose and defeat hot swap). Links butter::sdk; LIBS and INCLUDE_DIRS
# (relative to the calling directory) are PUBLIC, so whatever links the core sees its headers.
function(butter_add_plugin_core name)
  cmake_parse_arguments(C "" "" "SOURCES;LIBS;INCLUDE_DIRS" ${ARGN})
  add_library(${name} STATIC ${C_SOURCES})
  set_target_properties(${name} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-gnu-unique>)
  endif()
  target_link_libraries(${name} PUBLIC butter::sdk ${C_LIBS})
  if(C_INCLUDE_DIRS)
    target_include_directories(${name} PUBLIC ${C_INCLUDE_DIRS})
  endif()
endfunction()
