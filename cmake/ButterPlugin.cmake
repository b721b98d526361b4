# butter_add_plugin(<name> SOURCES ...): one shared object, build/plugins/<name>.so, built against
# the SDK only, exporting nothing but `butter_entry`.
set(BUTTER_VERSION_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/butter-plugin.map CACHE INTERNAL "")

function(butter_plugin_flags target)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${target} PRIVATE
    -Wl,--version-script=${BUTTER_VERSION_SCRIPT} -Wl,--no-undefined)
  # GCC marks some C++ symbols STB_GNU_UNIQUE, which makes dlclose keep the object resident and
  # silently defeats hot swap.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-gnu-unique>)
  endif()
  target_link_libraries(${target} PRIVATE butter::sdk)
endfunction()

function(butter_add_plugin name)
  cmake_parse_arguments(P "" "OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${P_SOURCES})
  butter_plugin_flags(${name})
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${BUTTER_PLUGIN_OUTPUT_DIR})
  endif()
  set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  if(P_LIBS)
    target_link_libraries(${name} PRIVATE ${P_LIBS})
  endif()
endfunction()
