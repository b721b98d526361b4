// The admission rule of the known-host cache: memory greedy below capacity, diverse at it.
#include "quality_cache.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace butter::knownhosts;

namespace {

std::string id(int n) {
  std::string s = std::to_string(n);
  return std::string(64 - s.size(), '0') + s;
}

// The class rule's own tests use hosts whose claims this node has observed: the host answered
// over its whole claimed uptime (first answer `uptime` seconds before kBase), last seen at
// kBase + seen. Ranking by observation is tested below, with the default limits.
constexpr std::uint64_t kBase = 10'000'000;

HostEntry host(int n, std::uint64_t uptime, std::uint64_t storage, std::uint32_t known, std::uint64_t seen = 0) {
  HostEntry h;
  h.id = id(n);
  h.quality = Quality{uptime, storage, known};
  h.first_seen_ms = kBase - uptime * 1000;
  h.last_seen_ms = kBase + seen;
  return h;
}

// A cache applying the class rule alone: claims count at once (established_ms = 0), no address
// bounds (the hosts have no address).
QualityCache rule_cache(std::size_t capacity) {
  AdmissionLimits l;
  l.established_ms = 0;
  return QualityCache(capacity, l);
}

}  // namespace

TEST_CASE("below capacity every host is kept") {
  QualityCache c = rule_cache(10);
  for (int i = 0; i < 10; ++i) CHECK(c.admit(host(i, 5, 5, 5)).outcome == Admission::Added);
  CHECK(c.size() == 10);
  CHECK(c.admit(host(3, 9, 9, 9)).outcome == Admission::Updated);
  CHECK(c.find(id(3))->quality.uptime_s == 9);
}

TEST_CASE("classes are strict comparisons against exact means") {
  Means m;
  m.uptime = 30;
  m.storage = 30;
  m.hosts = 30;
  m.n = 3;                                     // means are 10
  CHECK(quality_class({10, 10, 10}, m) == 0);  // equal to the mean is low
  CHECK(quality_class({11, 0, 0}, m) == 1);
  CHECK(quality_class({0, 11, 0}, m) == 2);
  CHECK(quality_class({0, 0, 11}, m) == 4);
  CHECK(quality_class({11, 11, 11}, m) == 7);
  Means empty;
  CHECK(quality_class({100, 100, 100}, empty) == 0);
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

TEST_CASE("a sample spans the classes before repeating one") {
  QualityCache c = rule_cache(8);
  c.admit(host(1, 1, 1, 1));
  c.admit(host(2, 1, 1, 1));
  c.admit(host(3, 1, 1, 1));
  c.admit(host(4, 100, 1, 1));
  c.admit(host(5, 1, 100, 1));
  std::mt19937_64 rng(1);
  auto s = c.sample(3, rng);
  REQUIRE(s.size() == 3);
  std::set<int> classes;
  for (auto* h : s) classes.insert(c.class_of(h->id));
  CHECK(classes.size() == 3);
  CHECK(c.sample(100, rng).size() == 5);
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

// --- sybil resistance: ranking by observation, bounds per address and prefix -------------------

namespace {

// A host this node observed answering from `address` for `observed_s` seconds up to `now`.
HostEntry observed(int n, const std::string& address, std::uint64_t observed_s, std::uint64_t now = kBase) {
  HostEntry h;
  h.id = id(n);
  h.address = address;
  h.quality = Quality{observed_s, 1000, 10};
  h.first_seen_ms = now - observed_s * 1000;
  h.last_seen_ms = now;
  h.answers = 1;
  return h;
}

// A fresh id (first answer now) claiming the top of every metric.
HostEntry sybil(int n, const std::string& address, std::uint64_t now = kBase) {
  HostEntry h = observed(n, address, 0, now);
  h.quality = Quality{1'000'000'000, 1ULL << 50, 1'000'000};
  return h;
}

int bits(int cls) { return __builtin_popcount(static_cast<unsigned>(cls)); }

}  // namespace

TEST_CASE("a sybil claiming top quality ranks below a long-observed honest host") {
  QualityCache c(16);  // default limits: claims count after 60 s of observation
  for (int i = 1; i <= 4; ++i)
    REQUIRE(c.admit(observed(i, "198.18." + std::to_string(i) + ".1", 3600)).outcome == Admission::Added);
  REQUIRE(c.admit(sybil(100, "198.51.100.7")).outcome == Admission::Added);
  const HostEntry& s = *c.find(id(100));
  // Its claims count for nothing: no uptime seen, storage and hosts known not yet believed.
  CHECK(c.effective(s).uptime_s == 0);
  CHECK(c.effective(s).free_storage == 0);
  CHECK(c.effective(s).hosts_known == 0);
  CHECK(c.class_of(id(100)) == 0);
  // A long-observed host with modest claims is counted in full.
  CHECK(c.effective(*c.find(id(1))).uptime_s == 3600);
  CHECK(c.effective(*c.find(id(1))).free_storage == 1000);
  // Uptime claimed beyond what was observed is capped at the observation.
  HostEntry boast = observed(5, "198.18.5.1", 120);
  boast.quality.uptime_s = 1'000'000;
  c.admit(boast);
  CHECK(c.effective(*c.find(id(5))).uptime_s == 120);
  // The honest hosts outrank the sybil in class bits (what pcg-storage recruits by).
  for (int i = 1; i <= 4; ++i) CHECK(bits(c.class_of(id(i))) >= bits(c.class_of(id(100))));
  CHECK(bits(c.class_of(id(1))) > bits(c.class_of(id(100))));
}

TEST_CASE("at capacity a fresh id never evicts a long-observed host, whatever it claims") {
  QualityCache c(4);
  for (int i = 1; i <= 4; ++i)
    REQUIRE(c.admit(observed(i, "198.18." + std::to_string(i) + ".1", 3600)).outcome == Admission::Added);
  for (int n = 100; n < 300; ++n) {
    AdmitResult r = c.admit(sybil(n, "203.0." + std::to_string(n) + ".9"));  // each from its own /24
    CHECK(r.outcome == Admission::Refused);
  }
  CHECK(c.size() == 4);
  for (int i = 1; i <= 4; ++i) CHECK(c.find(id(i)) != nullptr);
  // One that failed a probe may go for a newcomer (diversity), never one that keeps answering.
  c.find_mut(id(2))->failures = 1;
  HostEntry fresh = observed(500, "192.0.2.1", 0);
  AdmitResult r = c.admit(fresh);
  REQUIRE(r.outcome == Admission::Replaced);
  CHECK(*r.evicted == id(2));
}

TEST_CASE("admission is bounded per address and per /24, from the address observed") {
  QualityCache c(1000);
  // 2 ids per address: the third from 198.18.0.7 is refused.
  CHECK(c.admit(sybil(1, "tcp://198.18.0.7:7001")).outcome == Admission::Added);
  CHECK(c.admit(sybil(2, "tcp://198.18.0.7:7002")).outcome == Admission::Added);
  AdmitResult third = c.admit(sybil(3, "tcp://198.18.0.7:7003"));
  CHECK(third.outcome == Admission::Refused);
  CHECK(third.refusal == Refusal::Address);
  // 8 ids per /24: addresses .8 .9 .10 take 6 more, the 9th of the /24 is refused.
  int n = 10;
  for (int a = 8; a <= 10; ++a)
    for (int k = 0; k < 2; ++k) CHECK(c.admit(sybil(n++, "198.18.0." + std::to_string(a))).outcome == Admission::Added);
  AdmitResult ninth = c.admit(sybil(n++, "198.18.0.11"));
  CHECK(ninth.outcome == Admission::Refused);
  CHECK(ninth.refusal == Refusal::Prefix);
  // Another /24 is not affected.
  CHECK(c.admit(sybil(n++, "198.18.1.11")).outcome == Admission::Added);
  CHECK(c.size() == 9);
}

TEST_CASE("200 ids from 4 addresses in one /24 get at most the bounded number, the honest stay") {
  QualityCache c(12);
  for (int i = 1; i <= 6; ++i)
    REQUIRE(c.admit(observed(i, "198.18." + std::to_string(i) + ".1", 600)).outcome == Admission::Added);
  std::size_t admitted = 0;
  for (int n = 100; n < 300; ++n) {
    const std::string a = "tcp://203.0.113." + std::to_string(2 + n % 4) + ":" + std::to_string(7000 + n);
    auto r = c.admit(sybil(n, a));
    if (r.outcome == Admission::Added || r.outcome == Admission::Replaced) ++admitted;
    CHECK(r.outcome != Admission::Replaced);  // no sybil ever pushes anybody out
  }
  CHECK(admitted == 6);  // 4 addresses x 2 would be 8: the cache had room for 6
  for (int i = 1; i <= 6; ++i) CHECK(c.find(id(i)) != nullptr);
  std::size_t in_prefix = 0;
  for (const auto& [k, h] : c.hosts()) in_prefix += h.address.find("203.0.113.") != std::string::npos;
  CHECK(in_prefix == 6);
  // With room for all, the /24 bound holds: 8 at most.
  QualityCache big(1000);
  for (int n = 100; n < 300; ++n) big.admit(sybil(n, "203.0.113." + std::to_string(2 + n % 4)));
  CHECK(big.size() == 8);
}

TEST_CASE("a newcomer over a bound never evicts another prefix, and within its own only a failed or silent host") {
  QualityCache c(3);
  REQUIRE(c.admit(observed(1, "198.18.0.2", 0)).outcome == Admission::Added);
  REQUIRE(c.admit(observed(2, "198.18.0.2", 0)).outcome == Admission::Added);
  REQUIRE(c.admit(observed(3, "198.19.0.2", 3600)).outcome == Admission::Added);
  // A third id of 198.18.0.2: both holders answered, so it is refused (not swapped in).
  AdmitResult r = c.admit(sybil(4, "198.18.0.2"));
  CHECK(r.outcome == Admission::Refused);
  CHECK(r.refusal == Refusal::Address);
  CHECK(c.find(id(3)) != nullptr);
  // Once holder 1 fails a probe, an answering newcomer of the same address may take its place.
  c.find_mut(id(1))->failures = 2;
  r = c.admit(sybil(5, "198.18.0.2"));
  REQUIRE(r.outcome == Admission::Replaced);
  CHECK(*r.evicted == id(1));
  CHECK(c.find(id(3)) != nullptr);
  // A host known only from a record (never answered) yields to one that answers from its address,
  // but a record-only newcomer takes nobody's place.
  QualityCache d(10);
  HostEntry heard;
  heard.id = id(7);
  heard.address = admission_address({}, {"relay://x", "tcp://198.18.0.3:7000"});
  CHECK(heard.address == "tcp://198.18.0.3:7000");
  heard.quality_known = false;
  REQUIRE(d.admit(heard).outcome == Admission::Added);
  REQUIRE(d.admit(observed(8, "198.18.0.3", 10)).outcome == Admission::Added);
  HostEntry heard2 = heard;
  heard2.id = id(9);
  CHECK(d.admit(heard2).outcome == Admission::Refused);
  r = d.admit(observed(10, "198.18.0.3", 0));
  REQUIRE(r.outcome == Admission::Replaced);
  CHECK(*r.evicted == id(7));
}

TEST_CASE("a member seen from another address than its record claimed is bounded there") {
  QualityCache c(100);
  REQUIRE(c.admit(observed(1, "198.18.0.2", 10)).outcome == Admission::Added);
  REQUIRE(c.admit(observed(2, "198.18.0.2", 10)).outcome == Admission::Added);
  // Host 3's record claimed another network; its connection comes from the full address.
  HostEntry h = sybil(3, "tcp://192.0.2.50:7000");
  REQUIRE(c.admit(h).outcome == Admission::Added);
  h.address = "tcp://198.18.0.2:40000";
  AdmitResult r = c.admit(h);
  CHECK(r.outcome == Admission::Dropped);
  CHECK(r.refusal == Refusal::Address);
  CHECK(c.find(id(3)) == nullptr);
  // Seen again from where it was, a member just updates; an update without an address keeps it.
  HostEntry again = observed(1, "", 20);
  CHECK(c.admit(again).outcome != Admission::Dropped);
  CHECK(c.find(id(1))->address == "198.18.0.2");
}

TEST_CASE("loopback is exempt by default and bounded like any address when the exemption is off") {
  QualityCache local(1000);
  for (int n = 0; n < 50; ++n)
    CHECK(local.admit(sybil(n, "tcp://127.0.0.1:" + std::to_string(7000 + n))).outcome == Admission::Added);
  AdmissionLimits strict;
  strict.loopback_exempt = false;
  QualityCache c(1000, strict);
  for (int n = 0; n < 200; ++n)
    c.admit(sybil(n, "tcp://127.0.0." + std::to_string(2 + n % 4) + ":" + std::to_string(7000 + n)));
  CHECK(c.size() == 8);
  // Distinct loopback addresses in distinct /24s (bench nodes on 127.x.y.z): each its own host.
  QualityCache bench(1000, strict);
  for (int n = 0; n < 40; ++n)
    CHECK(bench.admit(sybil(n, "tcp://127.0." + std::to_string(n) + ".1:7000")).outcome == Admission::Added);
}

TEST_CASE("IPv6 is bounded per /64 as an address and per /48 as a prefix") {
  QualityCache c(1000);
  CHECK(c.admit(sybil(1, "tcp://[2001:db8:0:1::1]:7000")).outcome == Admission::Added);
  CHECK(c.admit(sybil(2, "tcp://[2001:db8:0:1::2]:7000")).outcome == Admission::Added);
  AdmitResult r = c.admit(sybil(3, "tcp://[2001:db8:0:1::3]:7000"));  // same /64
  CHECK(r.refusal == Refusal::Address);
  int n = 10;
  for (int net = 2; net <= 4; ++net)
    for (int k = 0; k < 2; ++k)
      CHECK(c.admit(sybil(n++, "tcp://[2001:db8:0:" + std::to_string(net) + "::" + std::to_string(k + 1) + "]:7000"))
                .outcome == Admission::Added);
  r = c.admit(sybil(n++, "tcp://[2001:db8:0:9::1]:7000"));  // 9th of the /48
  CHECK(r.refusal == Refusal::Prefix);
  CHECK(c.admit(sybil(n++, "tcp://[2001:db8:1:9::1]:7000")).outcome == Admission::Added);  // another /48
  // An IPv4-mapped address counts as IPv4.
  CHECK(butter::network_key("tcp://[::ffff:198.18.0.7]:7000").prefix == "198.18.0.0/24");
  CHECK(butter::network_key("tcp://[::1]:7000").loopback);
  CHECK(butter::network_key("relay://abc/def").prefix.empty());
}

TEST_CASE("this node's own /24 is its LAN: bounded per address only") {
  QualityCache c(1000);
  c.set_own_endpoints({"relay://amb/x", "tcp://198.18.0.10:7000"});
  for (int i = 11; i < 40; ++i)  // a LAN of 29 neighbours
    CHECK(c.admit(sybil(i, "tcp://198.18.0." + std::to_string(i) + ":7000")).outcome == Admission::Added);
  CHECK(c.admit(sybil(100, "198.18.0.11")).outcome == Admission::Added);
  CHECK(c.admit(sybil(101, "198.18.0.11")).refusal == Refusal::Address);  // a third id on one host
  // Another /24 keeps its bound.
  for (int i = 0; i < 8; ++i)
    CHECK(c.admit(sybil(200 + i, "198.19.0." + std::to_string(i + 1))).outcome == Admission::Added);
  CHECK(c.admit(sybil(300, "198.19.0.99")).refusal == Refusal::Prefix);
}
