// Skipping a test so that ctest reports it as Skipped, not Passed.
//
// Catch2 v2 has no SKIP(). A test that cannot run here (no netns, no root, no netem in this
// kernel) calls skip(why) and returns: the reason is printed as a warning, and once the run is
// over the test executable exits 77 instead of 0 if nothing failed. Every test executable is
// registered with SKIP_RETURN_CODE 77 (cmake/ButterTesting.cmake), and ctest runs one test case
// per process, so exactly that test shows as Skipped. Under CI=true the tests that need root or
// netns FAIL instead of skipping (netns_bed.hpp): CI is root and has them.
#pragma once
#include <string>

namespace butter::test {

// The exit code ctest reads as "skipped".
inline constexpr int kSkipExitCode = 77;

// Records that the current test is skipped and prints why (a Catch2 WARN). The caller returns.
void skip(const std::string& why);
// Whether skip() was called in this process.
bool skipped();

}  // namespace butter::test
