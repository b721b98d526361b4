// PunchHistory: which own addresses punched, preferred next time (punch_history.hpp).
#include "punch_history.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using butter::nat::PunchHistory;
using V = std::vector<std::string>;

namespace {
const std::string kPub = "tcp://203.0.113.7:7700", kLan = "tcp://192.168.1.10:7700", kOther = "tcp://198.51.100.9:7700";
}

TEST_CASE("nat-ambassador punch history: nothing known keeps the given order") {
  PunchHistory h(1000);
  CHECK(h.prefer({kPub, kLan, kOther}, 0) == V{kPub, kLan, kOther});
  CHECK(h.entries(0).empty());
}

TEST_CASE("nat-ambassador punch history: an address that punched goes first, one that only failed last") {
  PunchHistory h(1000);
  h.failed(kPub, 10);
  h.succeeded(kLan, 20);
  CHECK(h.prefer({kPub, kOther, kLan}, 30) == V{kLan, kOther, kPub});
  auto e = h.entries(30);
  REQUIRE(e.size() == 2);
  CHECK(e[kLan].successes == 1);
  CHECK(e[kLan].last_success_ms == 20);
  CHECK(e[kPub].failures == 1);
}

TEST_CASE("nat-ambassador punch history: more successes first, more failures than successes demoted") {
  PunchHistory h(1000);
  h.succeeded(kPub, 1);
  h.succeeded(kLan, 2);
  h.succeeded(kLan, 3);
  CHECK(h.prefer({kPub, kLan}, 5) == V{kLan, kPub});
  // kLan now fails three times: 2 successes < 3 failures puts it after the unknown kOther.
  for (std::uint64_t t : {6, 7, 8}) h.failed(kLan, t);
  CHECK(h.prefer({kLan, kOther, kPub}, 9) == V{kPub, kOther, kLan});
  // Among failing ones, the fewest failures first.
  h.failed(kOther, 10);
  CHECK(h.prefer({kLan, kOther}, 11) == V{kOther, kLan});
}

TEST_CASE("nat-ambassador punch history: entries expire after the ttl") {
  PunchHistory h(100);
  h.failed(kPub, 0);
  h.succeeded(kLan, 50);
  CHECK(h.prefer({kPub, kLan}, 100) == V{kLan, kPub});
  // At 120 kPub's only outcome is older than the ttl: unknown again, back to the given order.
  CHECK(h.prefer({kOther, kPub}, 120) == V{kOther, kPub});
  CHECK(h.entries(120).size() == 1);
  h.expire(151);
  CHECK(h.entries(151).empty());
  // A new outcome refreshes an address.
  h.succeeded(kPub, 200);
  h.succeeded(kPub, 290);
  CHECK(h.entries(350).at(kPub).successes == 2);
}

TEST_CASE("nat-ambassador punch history: bounded, the oldest outcome forgotten first") {
  PunchHistory h(1'000'000);
  for (std::size_t i = 0; i < PunchHistory::kMaxEntries; ++i)
    h.failed("tcp://10.0.0." + std::to_string(i) + ":1", 100 + i);
  h.succeeded(kPub, 1000);  // the table is full: 10.0.0.0, the oldest, goes
  auto e = h.entries(1000);
  CHECK(e.size() == PunchHistory::kMaxEntries);
  CHECK(e.count(kPub) == 1);
  CHECK(e.count("tcp://10.0.0.0:1") == 0);
  CHECK(e.count("tcp://10.0.0.1:1") == 1);
  h.succeeded("", 1001);  // ignored
  CHECK(h.entries(1001).size() == PunchHistory::kMaxEntries);
}

TEST_CASE("nat-ambassador punch history: a new outcome keeps an address from being the one forgotten") {
  PunchHistory h(1'000'000);
  for (std::size_t i = 0; i < PunchHistory::kMaxEntries; ++i)
    h.failed("tcp://10.0.0." + std::to_string(i) + ":1", 100 + i);
  h.succeeded("tcp://10.0.0.0:1", 500);  // the first recorded, but its outcome is now the latest
  // Reading (prefer, entries) is not an outcome: it must not refresh 10.0.0.1.
  CHECK(h.prefer({"tcp://10.0.0.1:1"}, 600) == V{"tcp://10.0.0.1:1"});
  CHECK(h.entries(600).count("tcp://10.0.0.1:1") == 1);
  h.failed(kPub, 1000);
  auto e = h.entries(1000);
  CHECK(e.size() == PunchHistory::kMaxEntries);
  CHECK(e.count("tcp://10.0.0.0:1") == 1);
  CHECK(e.at("tcp://10.0.0.0:1").successes == 1);
  CHECK(e.count("tcp://10.0.0.1:1") == 0);
  CHECK(e.count(kPub) == 1);
}
