// The process-wide "a test was skipped" flag (support/skip.hpp), in a library of its own so that
// both the test main and the support helpers can use it without pulling in a main().
#include "support/skip.hpp"

#include <catch2/catch.hpp>

#include <atomic>

namespace butter::test {

namespace {
std::atomic<bool> g_skipped{false};
}

void skip(const std::string& why) {
  g_skipped = true;
  WARN("skipped: " << why);
}

bool skipped() { return g_skipped; }

}  // namespace butter::test
