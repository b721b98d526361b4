// butter/cpp/token_bucket.hpp — a token bucket over a clock the caller passes in.
//
//   butter::TokenBucket answers(/*rate_per_s=*/20, /*burst=*/40, now_ms);  // starts full
//   if (!answers.take(now_ms)) return;  // over the rate: shed it
//
// `rate_per_s` tokens are earned per second, up to `burst`. Time is a monotonic tick count the
// caller reads from its own clock (node().now_ms(), a test's fake clock), so that a rate limit is
// pure logic, tested without sleeps. TokenBucket counts milliseconds, TokenBucketNs nanoseconds
// (steady_clock::time_point::time_since_epoch()). A time before the last one seen (a clock that
// went back) earns nothing. Bad figures (negative, NaN) count as 0: such a bucket gives nothing.
//
// To spend only when several buckets all have a token (a sender's and a node-wide one), ask
// has() of each, then take() from each at the same `now`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace butter {

template <std::uint64_t TicksPerSecond>
class BasicTokenBucket {
  static_assert(TicksPerSecond > 0, "a tick is a fraction of a second");

 public:
  static constexpr std::uint64_t ticks_per_second = TicksPerSecond;
  static constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

  // A bucket that gives nothing (rate and burst 0): a placeholder until one is assigned.
  BasicTokenBucket() = default;
  // Full at `now`.
  BasicTokenBucket(double rate_per_s, double burst, std::uint64_t now)
      : rate_(sane(rate_per_s)), burst_(sane(burst)), tokens_(burst_), last_(now) {}
  // Holding `tokens` (clamped to 0..burst) at `now`: e.g. part-filled at random, so that nodes
  // started together do not all act at once.
  BasicTokenBucket(double rate_per_s, double burst, std::uint64_t now, double tokens)
      : rate_(sane(rate_per_s)), burst_(sane(burst)), tokens_(std::min(burst_, sane(tokens))), last_(now) {}

  // Adds what the ticks since the last refill earned, up to the burst.
  void refill(std::uint64_t now) {
    if (now <= last_) return;
    const double earned = rate_ * static_cast<double>(now - last_) / static_cast<double>(TicksPerSecond);
    tokens_ = std::min(burst_, tokens_ + earned);
    last_ = now;
  }
  // The tokens there at `now` (fractions included).
  double available(std::uint64_t now) {
    refill(now);
    return tokens_;
  }
  // True when `n` tokens are there at `now`; takes nothing. A negative or NaN `n` is refused (false):
  // taking it would add tokens beyond the burst.
  bool has(std::uint64_t now, double n = 1) {
    refill(now);
    return n >= 0 && tokens_ >= n;
  }
  // Takes `n` tokens when they are all there; otherwise takes nothing and returns false.
  bool take(std::uint64_t now, double n = 1) {
    if (!has(now, n)) return false;
    tokens_ -= n;
    return true;
  }
  // Takes `n` tokens whatever is there, down to 0 at most: for what was sent already within a
  // figure read from available() (call it at the same `now`, after refill).
  void spend(double n) { tokens_ = std::max(0.0, tokens_ - sane(n)); }
  // Ticks from `now` until `n` tokens are there: 0 when they are, `never` when they cannot be
  // (rate 0, or `n` beyond the burst). Rounded up, so that a caller waking then finds them.
  std::uint64_t ticks_until(std::uint64_t now, double n = 1) {
    refill(now);
    if (tokens_ >= n) return 0;
    if (!(rate_ > 0) || n > burst_) return never;
    const double ticks = std::ceil((n - tokens_) / rate_ * static_cast<double>(TicksPerSecond));
    if (!(ticks < static_cast<double>(never))) return never;
    return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(ticks));
  }

  double tokens() const { return tokens_; }  // as of the last refill
  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  // Negative and NaN figures become 0 (a bucket that gives nothing rather than one that breaks).
  static double sane(double v) { return v > 0 ? v : 0; }

  double rate_ = 0;    // tokens per second
  double burst_ = 0;   // most tokens held
  double tokens_ = 0;  // held at last_
  std::uint64_t last_ = 0;
};

using TokenBucket = BasicTokenBucket<1000>;             // ticks: milliseconds
using TokenBucketNs = BasicTokenBucket<1'000'000'000>;  // ticks: nanoseconds

}  // namespace butter
