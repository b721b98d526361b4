// Lets a repeated warning through at most once per interval, with a count of the lines held back
// since the last one let through: refusals that an attacker can trigger at will must not flood the
// log, yet the operator must still see that they happen and how often.
// Not thread-safe: use one per strand.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace butter::host {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds interval = std::chrono::seconds(5)) : interval_(interval) {}

  // `line` (with " (and N more since the last such line)" appended when some were held back) when
  // it may be logged now, else nullopt (it is counted).
  std::optional<std::string> admit(std::string line,
                                   std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  std::chrono::milliseconds interval_;
  bool logged_once_ = false;
  std::chrono::steady_clock::time_point last_;
  std::uint64_t held_back_ = 0;
};

}  // namespace butter::host
