// LogLimiter: a repeated warning at most once per interval, with the count of those held back.
#include "core/log_limiter.hpp"

#include <catch2/catch.hpp>

using butter::host::LogLimiter;
using std::chrono::milliseconds;

TEST_CASE("log limiter lets one line through per interval and counts the rest") {
  LogLimiter limiter(milliseconds(5000));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(limiter.admit("refused", t0) == std::optional<std::string>("refused"));
  CHECK_FALSE(limiter.admit("refused", t0 + milliseconds(1)));
  CHECK_FALSE(limiter.admit("refused", t0 + milliseconds(4999)));
  CHECK(limiter.admit("refused", t0 + milliseconds(5000)) ==
        std::optional<std::string>("refused (and 2 more since the last such line)"));
  CHECK(limiter.admit("again", t0 + milliseconds(10000)) == std::optional<std::string>("again"));
}
