// The query rate by where a query comes from: rate-limit keys from remote addresses, the bounded
// bucket table, and the per-peer/per-address/per-prefix limiter (many node ids behind one address
// share its bucket; tables stay bounded under a churn of addresses).
#include "address_key.hpp"
#include "source_limiter.hpp"

#include <butter/cpp/token_bucket_table.hpp>
#include <catch2/catch.hpp>

#include <random>

using namespace butter::dbfs;

TEST_CASE("source keys group IPv4 by address and /24 and IPv6 by /64 and /48") {
  auto k = source_keys("tcp://198.18.0.2:7000");
  CHECK(k.address == "198.18.0.2");
  CHECK(k.prefix == "198.18.0.0/24");
  CHECK(source_keys("198.18.0.77").prefix == "198.18.0.0/24");
  k = source_keys("tcp://[2001:db8:1:2:3:4:5:6]:7000");
  CHECK(k.address == "2001:db8:1:2::/64");
  CHECK(k.prefix == "2001:db8:1::/48");
  CHECK(source_keys("tcp://[2001:db8:1:2:ffff::9]:1").address == k.address);  // same /64
  k = source_keys("tcp://[::ffff:10.1.2.3]:7000");                            // IPv4-mapped counts as IPv4
  CHECK(k.address == "10.1.2.3");
  CHECK(k.prefix == "10.1.2.0/24");
  k = source_keys("relay://abcdef/xyz");
  CHECK(k.address == "relay://abcdef/xyz");
  CHECK(k.prefix.empty());
  k = source_keys("");
  CHECK(k.address.empty());
  CHECK(k.prefix.empty());
  CHECK(source_keys(std::string(1000, 'x')).address.size() == 128);
}

TEST_CASE("source keys: loopback has none, so the nodes of one machine are limited by node id only") {
  for (const char* a : {"tcp://127.0.0.1:7000", "127.3.4.5", "tcp://[::1]:7000", "tcp://[::ffff:127.0.0.1]:1"}) {
    INFO(a);
    auto k = source_keys(a);
    CHECK(k.address.empty());
    CHECK(k.prefix.empty());
  }
  CHECK(source_keys("tcp://128.0.0.1:1").address == "128.0.0.1");
}

TEST_CASE("bucket table refills and forgets the least recently used key") {
  butter::TokenBucketTable t(10, 2, 2);
  CHECK(t.take("a", 0));
  CHECK(t.take("a", 0));
  CHECK_FALSE(t.take("a", 0));
  CHECK(t.take("a", 100));  // 1 token after 100 ms at 10/s
  CHECK(t.take("b", 100));
  CHECK_FALSE(t.take("a", 100));  // a is now most recent, b least
  CHECK(t.take("c", 100));        // evicts b, not a
  CHECK(t.size() == 2);
  CHECK(t.evicted() == 1);
  CHECK_FALSE(t.take("a", 100));  // a kept its empty bucket
}

TEST_CASE("many node ids from one address share one bucket") {
  Limits lim;
  lim.rate_per_s = 1;
  lim.burst = 100;  // each id alone would pass all its queries
  lim.address_rate_per_s = 1;
  lim.address_burst = 10;
  lim.prefix_rate_per_s = 1;
  lim.prefix_burst = 15;
  SourceLimiter l(lim);
  int allowed = 0, by_address = 0;
  for (int round = 0; round < 5; ++round) {
    for (int id = 0; id < 20; ++id) {
      const RateVerdict v =
          l.allow("evil" + std::to_string(id), "tcp://203.0.113.7:" + std::to_string(40000 + id), 1000);
      allowed += v == RateVerdict::Allowed;
      by_address += v == RateVerdict::Address;
    }
  }
  CHECK(allowed == 10);
  CHECK(by_address == 90);
  // A neighbour address in the same /24 has its own address bucket but shares the prefix's.
  int more = 0;
  for (int i = 0; i < 20; ++i)
    more += l.allow("other" + std::to_string(i), "tcp://203.0.113.8:1", 1000) == RateVerdict::Allowed;
  CHECK(more == 5);
  CHECK(l.allow("x", "tcp://203.0.113.9:1", 1000) == RateVerdict::Prefix);
  // Another /24 is not touched; an unknown address is limited by node id only.
  CHECK(l.allow("honest", "tcp://198.51.100.1:1", 1000) == RateVerdict::Allowed);
  CHECK(l.allow("quiet", "", 1000) == RateVerdict::Allowed);
  // A refused query spends no token of the other buckets: the ids still have theirs.
  lim.address_burst = 1;
  SourceLimiter m(lim);
  CHECK(m.allow("p", "10.0.0.1", 0) == RateVerdict::Allowed);
  CHECK(m.allow("q", "10.0.0.1", 0) == RateVerdict::Address);
  CHECK(m.allow("q", "10.0.0.2", 0) == RateVerdict::Allowed);
}

TEST_CASE("limiter tables stay bounded under a churn of 100000 addresses") {
  Limits lim;
  lim.rate_peers = 512;
  lim.rate_addresses = 1024;
  SourceLimiter l(lim);
  std::mt19937_64 rng(7);
  std::size_t allowed = 0;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    const std::uint32_t ip = static_cast<std::uint32_t>(rng());
    const std::string addr = "tcp://" + std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
                             std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255) + ":7000";
    allowed += l.allow("id" + std::to_string(i), addr, i) == RateVerdict::Allowed;
    REQUIRE(l.peers() <= 512);
    REQUIRE(l.addresses() <= 1024);
    REQUIRE(l.prefixes() <= 1024);
  }
  CHECK(allowed == 100000);  // fresh addresses are not punished for others' churn
  CHECK(l.addresses() == 1024);
}
