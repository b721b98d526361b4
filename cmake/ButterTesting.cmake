# The skip flag (tests/support/skip.hpp) and the main() of every test executable, which exits 77
# when a test was skipped and none failed.
add_library(butter_test_skip STATIC ${PROJECT_SOURCE_DIR}/tests/main/skip.cpp)
target_include_directories(butter_test_skip PUBLIC ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(butter_test_skip PUBLIC Catch2::Catch2)
add_library(butter_test_main STATIC ${PROJECT_SOURCE_DIR}/tests/main/test_main.cpp)
target_link_libraries(butter_test_main PUBLIC butter_test_skip)

# Test executables are unity builds like everything else (BUTTER_UNITY, top-level CMakeLists.txt).
# butter_add_test_exe(<name> <prefix> SOURCES ... LIBS ... DEPENDS ...): one Catch2 executable
# whose test cases are registered with ctest as "<prefix>: <test name>"; a test that called
# butter::test::skip() is reported as Skipped (exit 77).
function(butter_add_test_exe name prefix)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;DEPENDS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  if(BUTTER_UNITY)
    # Only the tests are batched: plugin logic compiled into a test executable keeps its own
    # translation unit, so its file-local names cannot meet a test's.
    foreach(src ${T_SOURCES})
      if(NOT src MATCHES "_test\\.cpp$")
        set_source_files_properties(${src} TARGET_DIRECTORY ${name} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
      endif()
    endforeach()
  endif()
  target_link_libraries(${name} PRIVATE butter_test_main ${T_LIBS})
  if(BUTTER_SANITIZE OR BUTTER_TSAN)
    # Tests that size their work for an uninstrumented build shrink it under sanitizers.
    target_compile_definitions(${name} PRIVATE BUTTER_TEST_SANITIZED=1)
  endif()
  target_compile_definitions(${name} PRIVATE
    BUTTER_BUILD_DIR="${CMAKE_BINARY_DIR}"
    BUTTER_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    BUTTER_PLUGIN_DIR="${BUTTER_PLUGIN_OUTPUT_DIR}"
    BUTTER_TEST_PLUGIN_DIR="${CMAKE_BINARY_DIR}/test-plugins")
  if(T_DEPENDS)
    add_dependencies(${name} ${T_DEPENDS})
  endif()
  # Catch2 v2 exits 0 when no test matched a filter; -w NoTests makes that a failure.
  catch_discover_tests(${name} TEST_PREFIX "${prefix}: " EXTRA_ARGS -w NoTests
    PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endfunction()
