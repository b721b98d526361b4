// The admission rule of the known-host cache: memory greedy below capacity, diverse at it.
#include "quality_cache_hosts.hpp"
#include "quality_cache.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

using namespace butter::knownhosts;
using namespace butter::knownhosts::cache_hosts;

TEST_CASE("below capacity every host is kept") {
  QualityCache c = rule_cache(10);
  for (int i = 0; i < 10; ++i) CHECK(c.admit(host(i, 5, 5, 5)).outcome == Admission::Added);
  CHECK(c.size() == 10);
  CHECK(c.admit(host(3, 9, 9, 9)).outcome == Admission::Updated);
  CHECK(c.find(id(3))->quality.uptime_s == 9);
}

TEST_CASE("classes split each metric at the median of the population and above its least value") {
  ClassRanks r;
  for (std::uint64_t v : {1, 2, 3, 4, 5}) r.add({v, 10, 0});  // uptimes 1..5, equal storage, no hosts known
  Thresholds t = r.thresholds();
  CHECK(t.n == 5);
  CHECK(t.median[0] == 3);
  CHECK(t.least[0] == 1);
  CHECK(quality_class({3, 10, 0}, t) == 1);  // at the median is high
  CHECK(quality_class({2, 10, 0}, t) == 0);
  CHECK(quality_class({5, 11, 1}, t) == 7);  // above values that are all equal
  CHECK(quality_class({5, 10, 0}, t) == 1);  // equal to all the others: low
  // A host claiming 2^64 moves the median by one rank.
  r.add({UINT64_MAX, 10, 0});
  t = r.thresholds();
  CHECK(t.median[0] == 4);
  CHECK(quality_class({4, 10, 0}, t) == 1);
  // A newcomer is ranked among the members it would join; the ranks stay as they were.
  const Thresholds w = r.thresholds_with({0, 0, 0});
  CHECK(w.median[0] == 3);
  CHECK(w.least[0] == 0);
  CHECK(quality_class({1, 10, 0}, w) == 2);  // storage 10 is above the newcomer's 0 now
  CHECK(r.thresholds().median[0] == 4);
  r.remove({UINT64_MAX, 10, 0});
  CHECK(r.thresholds().median[0] == 3);
  CHECK(quality_class({100, 100, 100}, Thresholds{}) == 0);
}

TEST_CASE("at capacity a newcomer of the most crowded class is refused") {
  QualityCache c = rule_cache(4);
  // Three low hosts (class 0) and one high-uptime host (class 1).
  c.admit(host(1, 1, 1, 1));
  c.admit(host(2, 1, 1, 1));
  c.admit(host(3, 1, 1, 1));
  c.admit(host(4, 100, 1, 1));
  auto counts = c.class_counts();
  CHECK(counts[0] == 3);
  CHECK(counts[1] == 1);
  AdmitResult r = c.admit(host(5, 1, 1, 1));
  CHECK(r.outcome == Admission::Refused);
  CHECK(c.size() == 4);
  CHECK(c.find(id(5)) == nullptr);
}

TEST_CASE("at capacity a newcomer of a rarer class evicts one of the most crowded") {
  QualityCache c = rule_cache(4);
  c.admit(host(1, 1, 1, 1, 50));
  c.admit(host(2, 1, 1, 1, 10));  // least recently seen in class 0
  c.admit(host(3, 1, 1, 1, 30));
  c.admit(host(4, 100, 1, 1));
  AdmitResult r = c.admit(host(5, 1, 1000, 1));  // high storage: class 2, empty so far
  REQUIRE(r.outcome == Admission::Replaced);
  REQUIRE(r.evicted);
  CHECK(*r.evicted == id(2));
  CHECK(c.size() == 4);
  CHECK(c.find(id(5)) != nullptr);
}

TEST_CASE("eviction prefers the host with most failures then the oldest then the smallest id") {
  QualityCache c = rule_cache(3);
  auto a = host(1, 1, 1, 1, 5);
  auto b = host(2, 1, 1, 1, 5);
  auto d = host(3, 1, 1, 1, 5);
  b.failures = 2;
  c.admit(a);
  c.admit(b);
  c.admit(d);
  AdmitResult r = c.admit(host(9, 50, 50, 50));
  REQUIRE(r.outcome == Admission::Replaced);
  CHECK(*r.evicted == id(2));
  // All equal now among the rest of class 0 -> the smallest id goes.
  QualityCache e = rule_cache(2);
  e.admit(host(7, 1, 1, 1, 5));
  e.admit(host(6, 1, 1, 1, 5));
  AdmitResult r2 = e.admit(host(8, 9, 9, 9));
  REQUIRE(r2.outcome == Admission::Replaced);
  CHECK(*r2.evicted == id(6));
}

TEST_CASE("the rule is deterministic whatever the insertion order") {
  std::vector<HostEntry> hosts;
  for (int i = 0; i < 40; ++i)
    hosts.push_back(host(i, static_cast<std::uint64_t>(i * 7 % 13), static_cast<std::uint64_t>(i * 5 % 11),
                         static_cast<std::uint32_t>(i % 4), static_cast<std::uint64_t>(i)));
  QualityCache a = rule_cache(10), b = rule_cache(10);
  for (const auto& h : hosts) a.admit(h);
  for (const auto& h : hosts) b.admit(h);
  CHECK(a.hosts().size() == b.hosts().size());
  for (const auto& [k, v] : a.hosts()) CHECK(b.find(k) != nullptr);
}

TEST_CASE("a full cache fed many hosts stays diverse") {
  QualityCache c = rule_cache(16);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 500; ++i) {
    c.admit(
        host(i, rng() % 1000, rng() % 1000, static_cast<std::uint32_t>(rng() % 100), static_cast<std::uint64_t>(i)));
  }
  auto counts = c.class_counts();
  std::size_t classes_present = 0, most = 0;
  for (auto n : counts) {
    if (n) ++classes_present;
    most = std::max(most, n);
  }
  CHECK(c.size() == 16);
  CHECK(classes_present >= 6);
  CHECK(most <= 4);  // no class holds more than a quarter of the cache
}

TEST_CASE("capacity 1 keeps its host instead of swapping it for every newcomer") {
  QualityCache c = rule_cache(1);
  CHECK(c.admit(host(1, 5, 5, 5)).outcome == Admission::Added);
  CHECK(c.admit(host(2, 5, 5, 5)).outcome == Admission::Refused);
  CHECK(c.admit(host(3, 1, 1, 1)).outcome == Admission::Refused);
  CHECK(c.admit(host(4, 9, 5, 5)).outcome == Admission::Refused);
  CHECK(c.size() == 1);
  CHECK(c.find(id(1)) != nullptr);
  // Once its host is gone (evicted after failures), the next one is admitted.
  CHECK(c.remove(id(1)));
  CHECK(c.admit(host(4, 9, 5, 5)).outcome == Admission::Added);
  QualityCache zero = rule_cache(0);
  CHECK(zero.capacity() == 1);
}

TEST_CASE("a cache of equal members diversifies with a newcomer below them") {
  QualityCache c = rule_cache(4);
  for (int i = 1; i <= 4; ++i) c.admit(host(i, 4, 0, 4));
  AdmitResult r = c.admit(host(9, 0, 0, 4));
  CHECK(r.outcome == Admission::Replaced);
  CHECK(c.find(id(9)) != nullptr);
  auto counts = c.class_counts();
  CHECK(std::count_if(counts.begin(), counts.end(), [](std::size_t n) { return n > 0; }) == 2);
}

TEST_CASE("a cache where every class holds one host refuses newcomers") {
  QualityCache c = rule_cache(3);
  c.admit(host(1, 0, 0, 0));
  c.admit(host(2, 100, 0, 0));
  c.admit(host(3, 0, 100, 0));
  CHECK(c.admit(host(4, 0, 0, 100)).outcome == Admission::Refused);
}

TEST_CASE("an empty cache admits anybody and shrinking capacity evicts by the rule") {
  QualityCache c = rule_cache(8);
  CHECK(c.admit(host(1, 0, 0, 0)).outcome == Admission::Added);
  for (int i = 2; i <= 8; ++i) c.admit(host(i, static_cast<std::uint64_t>(i), 1, 1));
  c.set_capacity(3);
  CHECK(c.size() == 3);
}

TEST_CASE("a sample draws each class in proportion to its size") {
  QualityCache c = rule_cache(100);
  // Uptimes 0..99, storage high for one host in ten, hosts known high for one in four: classes of
  // very different sizes (no addresses: networks do not constrain the draw).
  for (int i = 0; i < 100; ++i)
    c.admit(host(i, static_cast<std::uint64_t>(i), i % 10 == 0 ? 100u : 1u, i % 4 == 0 ? 100u : 1u));
  const auto counts = c.class_counts();
  std::mt19937_64 rng(1);
  std::array<std::size_t, 8> drawn{};
  for (int round = 0; round < 400; ++round) {
    const auto s = c.sample(10, rng);
    REQUIRE(s.size() == 10);
    std::array<std::size_t, 8> in{};
    std::set<std::string> ids;
    for (const HostEntry* h : s) {
      ++in[static_cast<std::size_t>(c.class_of(h->id))];
      ids.insert(h->id);
    }
    CHECK(ids.size() == 10);
    for (std::size_t k = 0; k < 8; ++k) {
      // floor or ceil of 10 x size / 100
      CHECK(in[k] * 100 + 100 > 10 * counts[k]);
      CHECK(in[k] * 100 < 10 * counts[k] + 100);
      drawn[k] += in[k];
    }
  }
  for (std::size_t k = 0; k < 8; ++k) {
    const double expected = 400.0 * 10 * static_cast<double>(counts[k]) / 100;
    CHECK(static_cast<double>(drawn[k]) >= expected * 0.85 - 5);
    CHECK(static_cast<double>(drawn[k]) <= expected * 1.15 + 5);
  }
  CHECK(c.sample(1000, rng).size() == 100);
}

TEST_CASE("a member seen again with nothing new is refreshed and not reported as updated") {
  QualityCache c = rule_cache(4);
  HostEntry a = host(1, 5, 5, 5);
  a.endpoints = {"tcp://198.18.0.11:7000"};
  REQUIRE(c.admit(a).outcome == Admission::Added);
  REQUIRE(c.admit(host(2, 100, 5, 5)).outcome == Admission::Added);  // keeps host 1 below the mean uptime

  HostEntry again = a;
  again.quality.uptime_s = 6;  // uptime grows on every probe: alone it is no news
  CHECK(c.admit(again).outcome == Admission::Refreshed);
  CHECK(c.find(id(1))->quality.uptime_s == 6);

  again.quality.free_storage = 7;
  CHECK(c.admit(again).outcome == Admission::Updated);

  again.endpoints = {"tcp://198.18.0.11:7001"};
  CHECK(c.admit(again).outcome == Admission::Updated);
  CHECK(c.find(id(1))->endpoints == std::vector<std::string>{"tcp://198.18.0.11:7001"});

  // An uptime change that moves the host to another class is news (observed: it answered for
  // another 200 s; a claim alone moves nothing, see the sybil tests below).
  HostEntry up = again;
  up.quality.uptime_s = 200;
  up.last_seen_ms += 200'000;
  CHECK(c.admit(up).outcome == Admission::Updated);
  CHECK(c.class_of(id(1)) != c.class_of(id(2)));
}

TEST_CASE("a member seen again without endpoints keeps the endpoints it had") {
  QualityCache c = rule_cache(4);
  HostEntry a = host(1, 5, 5, 5);
  a.endpoints = {"tcp://198.18.0.11:7000", "tcp://[::1]:7000"};
  REQUIRE(c.admit(a).outcome == Admission::Added);
  HostEntry bare = host(1, 5, 5, 5);  // a quality request that carried no endpoints
  CHECK(c.admit(bare).outcome == Admission::Refreshed);
  CHECK(c.find(id(1))->endpoints == a.endpoints);
}
