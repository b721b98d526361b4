// The discovery datagram codec: round trips, the 1200-byte bound, and refusal of bad input.
#include "beacon.hpp"

#include <catch2/catch.hpp>

using namespace butter::discovery;

namespace {
Beacon sample() {
  Beacon b;
  b.kind = BeaconKind::Ping;
  b.cold = true;
  b.node_id = std::string(62, 'a') + "0f";
  b.hosts_known = 7;
  b.endpoints = {"tcp://198.18.0.11:7700", "tcp://[::1]:7700"};
  return b;
}
}  // namespace

TEST_CASE("a beacon round trips") {
  auto bytes = encode_beacon(sample());
  std::string why;
  auto b = decode_beacon(bytes.data(), bytes.size(), why);
  INFO(why);
  REQUIRE(b);
  CHECK(b->kind == BeaconKind::Ping);
  CHECK(b->cold);
  CHECK(b->node_id == sample().node_id);
  CHECK(b->hosts_known == 7);
  CHECK(b->endpoints == sample().endpoints);
}

TEST_CASE("a beacon stays under 1200 bytes whatever the number of endpoints") {
  Beacon b = sample();
  b.endpoints.clear();
  for (int i = 0; i < 100; ++i)
    b.endpoints.push_back("tcp://198.18.0." + std::to_string(i) + ":" + std::string(40, '7'));
  auto bytes = encode_beacon(b);
  CHECK(bytes.size() <= kMaxBeaconBytes);
  std::string why;
  auto d = decode_beacon(bytes.data(), bytes.size(), why);
  REQUIRE(d);
  CHECK(d->endpoints.size() > 5);
  CHECK(d->endpoints.size() < 100);
  CHECK(d->endpoints.front() == b.endpoints.front());
}

TEST_CASE("every truncation of a beacon is refused") {
  auto bytes = encode_beacon(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::string why;
    CHECK_FALSE(decode_beacon(bytes.data(), n, why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("malformed beacons are refused with a reason") {
  auto good = encode_beacon(sample());
  std::string why;
  auto bad = good;
  bad[0] = 'X';
  CHECK_FALSE(decode_beacon(bad.data(), bad.size(), why));
  CHECK(why == "not a beacon (bad magic)");
  bad = good;
  bad[4] = 9;
  CHECK_FALSE(decode_beacon(bad.data(), bad.size(), why));
  CHECK_THAT(why, Catch::Contains("version 9"));
  bad = good;
  bad[5] = 77;
  CHECK_FALSE(decode_beacon(bad.data(), bad.size(), why));
  CHECK_THAT(why, Catch::Contains("kind 77"));
  bad = good;
  bad.push_back(0);
  CHECK_FALSE(decode_beacon(bad.data(), bad.size(), why));
  CHECK_THAT(why, Catch::Contains("trailing"));
  std::vector<std::uint8_t> huge(1500, 0);
  CHECK_FALSE(decode_beacon(huge.data(), huge.size(), why));
  CHECK_THAT(why, Catch::Contains("oversized"));
  Beacon noid = sample();
  noid.node_id = std::string(64, '0');
  auto z = encode_beacon(noid);
  CHECK_FALSE(decode_beacon(z.data(), z.size(), why));
  Beacon notauri = sample();
  notauri.endpoints = {"hello"};
  auto n = encode_beacon(notauri);
  CHECK_FALSE(decode_beacon(n.data(), n.size(), why));
  CHECK(why == "endpoint is not a URI");
}

TEST_CASE("random bytes never crash the beacon decoder and what it accepts re-encodes the same") {
  std::uint64_t x = 88172645463325252ull;
  int refused = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(x % 300));
    for (auto& c : buf) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<std::uint8_t>(x);
    }
    if (buf.size() > 6) {
      buf[0] = 'B', buf[1] = 'U', buf[2] = 'T', buf[3] = 'R', buf[4] = 1, buf[5] = 1;
    }
    std::string why;
    auto b = decode_beacon(buf.data(), buf.size(), why);
    if (!b) {
      ++refused;
      CHECK_FALSE(why.empty());
      continue;
    }
    auto again = encode_beacon(*b);
    auto back = decode_beacon(again.data(), again.size(), why);
    REQUIRE(back);
    CHECK(back->node_id == b->node_id);
    CHECK(back->endpoints == b->endpoints);
  }
  CHECK(refused > 0);
}

TEST_CASE("endpoints within a size bound keep their order and skip the ones that would pass it") {
  Beacon b = sample();
  b.endpoints = {"relay://" + std::string(60, 'r'), "tcp://198.18.0.11:7700", "tcp://198.18.0.11:7701"};
  // The header alone is 42 bytes; each endpoint costs its length and two.
  CHECK(encode_beacon(Beacon{b.kind, b.cold, b.node_id, 0, {}}).size() == 42);
  CHECK(endpoints_within(b, 42).empty());
  CHECK(endpoints_within(b, 42 + 2 + 22) == std::vector<std::string>{"tcp://198.18.0.11:7700"});
  CHECK(endpoints_within(b, 42 + 2 * 24) ==
        std::vector<std::string>{"tcp://198.18.0.11:7700", "tcp://198.18.0.11:7701"});
  CHECK(endpoints_within(b, kMaxBeaconBytes) == b.endpoints);
  CHECK(endpoints_within(b, 100000) == b.endpoints);
  // A PONG for the smallest PING (42 bytes) can still carry one short endpoint.
  CHECK(42 + 2 + 22 <= kAnswerFactor * 42);
}
