// butter/cpp/token_bucket.hpp and token_bucket_table.hpp: refill from the ticks the caller passes
// in, the burst as a ceiling, all-or-nothing takes, bad figures that give nothing instead of
// breaking, and the keyed table bounded in keys.
#include <butter/cpp/token_bucket.hpp>
#include <butter/cpp/token_bucket_table.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>

TEST_CASE("token bucket: a burst at once, then what the rate earns, never beyond the burst") {
  butter::TokenBucket b(/*rate_per_s=*/2, /*burst=*/3, /*now=*/1000);
  int taken = 0;
  for (int i = 0; i < 10; ++i) taken += b.take(1000);
  CHECK(taken == 3);
  CHECK_FALSE(b.take(1499));  // 0.998 of a token
  CHECK(b.take(1500));        // 1 after 0.5 s at 2/s
  CHECK_FALSE(b.take(1500));
  // An hour of quiet refills up to the burst, not beyond.
  CHECK(b.available(1500 + 3'600'000) == Approx(3));
  taken = 0;
  for (int i = 0; i < 10; ++i) taken += b.take(1500 + 3'600'000);
  CHECK(taken == 3);
}

TEST_CASE("token bucket: take(n) is all or nothing, has() takes nothing, spend() stops at 0") {
  butter::TokenBucket b(1000, 10, 0);  // bytes per second, say
  CHECK_FALSE(b.take(0, 11));          // more than it holds: nothing taken
  CHECK(b.tokens() == Approx(10));
  CHECK(b.has(0, 10));
  CHECK(b.take(0, 7.5));
  CHECK(b.available(0) == Approx(2.5));
  CHECK_FALSE(b.has(0, 3));
  CHECK(b.has(1, 3));  // 1 ms at 1000/s: one more
  b.spend(100);
  CHECK(b.tokens() == 0);
  b.spend(std::nan(""));
  CHECK(b.tokens() == 0);
  // A negative or NaN count is refused: taking it would add tokens beyond the burst.
  CHECK_FALSE(b.take(1000, -5));
  CHECK_FALSE(b.has(1000, std::nan("")));
  CHECK_FALSE(b.take(1000, std::nan("")));
  CHECK(b.available(1000) == Approx(10));
}

TEST_CASE("token bucket: a clock that goes back earns nothing and loses nothing") {
  butter::TokenBucket b(1, 1, 5000);
  CHECK(b.take(5000));
  CHECK_FALSE(b.take(4000));
  CHECK_FALSE(b.take(5999));  // earned from 5000 on, not from 4000
  CHECK(b.take(6000));
}

TEST_CASE("token bucket: starts part-filled, clamped to the burst") {
  butter::TokenBucket part(1, 4, 0, 0.5);
  CHECK_FALSE(part.take(0));
  CHECK(part.take(500));
  butter::TokenBucket over(1, 4, 0, 99);
  CHECK(over.tokens() == Approx(4));
  butter::TokenBucket empty(1, 4, 0, -3);
  CHECK(empty.tokens() == 0);
}

TEST_CASE("token bucket: bad figures give a bucket that gives nothing, never a crash") {
  const double nan = std::nan("");
  const double inf = std::numeric_limits<double>::infinity();
  butter::TokenBucket placeholder;
  CHECK_FALSE(placeholder.take(1'000'000));
  CHECK(placeholder.ticks_until(0) == butter::TokenBucket::never);
  for (double bad : {-1.0, nan}) {
    INFO(bad);
    butter::TokenBucket rate(bad, 5, 0);
    CHECK(rate.rate() == 0);
    CHECK(rate.take(0));  // the burst it was given
    CHECK(rate.available(1'000'000'000) == Approx(4));
    butter::TokenBucket burst(5, bad, 0);
    CHECK(burst.burst() == 0);
    CHECK_FALSE(burst.take(1'000'000'000));
  }
  butter::TokenBucket unbounded(inf, inf, 0);
  for (int i = 0; i < 100; ++i) CHECK(unbounded.take(static_cast<std::uint64_t>(i)));
}

TEST_CASE("token bucket: ticks_until says when the tokens are there, rounded up") {
  butter::TokenBucket b(3, 1, 0);  // one token every 333.3 ms
  CHECK(b.ticks_until(0) == 0);
  CHECK(b.take(0));
  CHECK(b.ticks_until(0) == 334);
  CHECK_FALSE(b.has(333));
  CHECK(b.has(334));
  CHECK(b.ticks_until(334) == 0);
  CHECK(b.ticks_until(334, 2) == butter::TokenBucket::never);  // beyond the burst

  butter::TokenBucketNs ns(256, 256, 0);  // steady_clock ticks
  for (int i = 0; i < 256; ++i) CHECK(ns.take(0));
  const std::uint64_t wait = ns.ticks_until(0);
  CHECK(wait == 3'906'250);  // 1 s / 256
  CHECK_FALSE(ns.has(wait - 1));
  CHECK(ns.has(wait));
}

TEST_CASE("token bucket table: one bucket per key, the least recently used key forgotten") {
  butter::TokenBucketTable t(/*rate_per_s=*/10, /*burst=*/2, /*max_keys=*/2);
  CHECK(t.take("a", 0));
  CHECK(t.take("a", 0));
  CHECK_FALSE(t.take("a", 0));
  CHECK(t.take(std::string_view("a"), 100));  // 1 token after 100 ms at 10/s
  CHECK(t.take(std::string("b"), 100));
  CHECK_FALSE(t.take("a", 100));  // a is the most recent now, b the least
  CHECK(t.take("c", 100));        // full: b goes, not a
  CHECK(t.size() == 2);
  CHECK(t.evicted() == 1);
  CHECK(t.contains("a"));
  CHECK_FALSE(t.contains("b"));
  CHECK_FALSE(t.take("a", 100));  // a kept its empty bucket
  CHECK(t.take("b", 100));        // b forgotten: back with a full bucket
  CHECK(t.take("b", 100));
  CHECK_FALSE(t.take("b", 100));
  CHECK(t.size() == 2);
  // A bucket looked up is refilled to the time of the lookup.
  CHECK(t.bucket("b", 200).available(200) == Approx(1));
}

TEST_CASE("token bucket table: a flood of fresh keys never grows it beyond its bound") {
  butter::TokenBucketTableNs t(1, 1, 0);  // 0 keys is raised to 1
  CHECK(t.max_keys() == 1);
  for (int i = 0; i < 5000; ++i) CHECK(t.take("k" + std::to_string(i), 0));
  CHECK(t.size() == 1);
  CHECK(t.evicted() == 4999);
}
