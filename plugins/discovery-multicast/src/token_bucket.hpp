// TokenBucket: `rate` tokens per second up to `burst`, refilled from the elapsed milliseconds when
// next used. Both rate limits of discovery use it: the answers (schedule.hpp) and the receive
// budget (datagram_budget.hpp).
#pragma once
#include <algorithm>
#include <cstdint>

namespace butter::discovery {

struct TokenBucket {
  double tokens = 0;
  std::uint64_t last_ms = 0;

  void refill(double rate, double burst, std::uint64_t now_ms) {
    if (now_ms > last_ms) {
      tokens = std::min(burst, tokens + rate * static_cast<double>(now_ms - last_ms) / 1000.0);
      last_ms = now_ms;
    }
  }
  // Takes one token when there is one.
  bool take() {
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }
};

}  // namespace butter::discovery
