// main() of every Catch2 test executable (cmake/ButterTesting.cmake), in place of Catch2WithMain:
// the same run, but a run with no failure in which a test called skip() exits kSkipExitCode, so
// that ctest reports the test as Skipped instead of Passed (support/skip.hpp).
#define CATCH_CONFIG_RUNNER
#include "support/skip.hpp"

#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
  const int failures = Catch::Session().run(argc, argv);
  if (failures == 0 && butter::test::skipped()) return butter::test::kSkipExitCode;
  return failures;
}
