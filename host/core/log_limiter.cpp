#include "core/log_limiter.hpp"

namespace butter::host {

std::optional<std::string> LogLimiter::admit(std::string line, std::chrono::steady_clock::time_point now) {
  if (logged_once_ && now - last_ < interval_) {
    ++held_back_;
    return std::nullopt;
  }
  if (held_back_ > 0) line += " (and " + std::to_string(held_back_) + " more since the last such line)";
  logged_once_ = true;
  last_ = now;
  held_back_ = 0;
  return line;
}

}  // namespace butter::host
