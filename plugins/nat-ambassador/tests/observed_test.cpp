// ObservedAddresses: the punching candidates peers report (observed.hpp).
#include "observed.hpp"

#include <catch2/catch.hpp>

using butter::nat::ObservedAddresses;

TEST_CASE("nat-ambassador observed addresses: one peer's claim is not confirmed") {
  ObservedAddresses o(2, 1000);
  o.observe("peer-a", "203.0.113.7", 0);
  CHECK(o.confirmed(0).empty());
  // The same peer saying it again is still one voice.
  o.observe("peer-a", "203.0.113.7", 10);
  CHECK(o.confirmed(10).empty());
  o.observe("peer-b", "203.0.113.7", 20);
  REQUIRE(o.confirmed(20) == std::vector<std::string>{"203.0.113.7"});
}

TEST_CASE("nat-ambassador observed addresses: a peer that changes its claim moves its vote") {
  ObservedAddresses o(2, 1000);
  o.observe("a", "203.0.113.7", 0);
  o.observe("b", "203.0.113.7", 0);
  o.observe("b", "198.51.100.1", 5);  // b now claims another address: 203.0.113.7 keeps one voice
  CHECK(o.observers("203.0.113.7", 5) == 1);
  CHECK(o.observers("198.51.100.1", 5) == 1);
  CHECK(o.confirmed(5).empty());
}

TEST_CASE("nat-ambassador observed addresses: most confirmed first, expiry, garbage ignored") {
  ObservedAddresses o(1, 100);
  o.observe("a", "198.51.100.1", 0);
  o.observe("b", "203.0.113.7", 0);
  o.observe("c", "203.0.113.7", 0);
  CHECK(o.confirmed(0) == std::vector<std::string>{"203.0.113.7", "198.51.100.1"});
  for (const char* bad : {"", "relay://x", "example.org", "0.0.0.0", "::", "1.2.3.4:5", "999.1.1.1"})
    o.observe("d", bad, 0);
  CHECK(o.size() == 2);
  CHECK(o.confirmed(101).empty());  // every observation is older than the ttl
  o.expire(101);
  CHECK(o.size() == 0);
}

TEST_CASE("nat-ambassador observed addresses: bounded in addresses and observers") {
  ObservedAddresses o(1, 1000000);
  // Many peers each claiming its own address: at most kMaxAddresses kept.
  for (int i = 0; i < 100; ++i) o.observe("p" + std::to_string(i), "10.0.0." + std::to_string(i + 1), i);
  CHECK(o.size() == ObservedAddresses::kMaxAddresses);
  // Many peers confirming one address: at most kMaxObservers votes counted.
  ObservedAddresses one(1, 1000000);
  for (int i = 0; i < 100; ++i) one.observe("q" + std::to_string(i), "203.0.113.9", i);
  CHECK(one.observers("203.0.113.9", 100) == ObservedAddresses::kMaxObservers);
}
