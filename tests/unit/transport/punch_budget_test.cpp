// The punch budget (punch_budget.hpp): token buckets per destination IP in a bounded LRU table,
// and one for the whole node; and Transport::punch under it: SYNs over budget are not sent, a
// punch none of whose SYNs fits fails as "budget", the refusals are counted.
#include "harness.hpp"
#include "support/free_ports.hpp"
#include "transport/punch_budget.hpp"

#include <boost/asio/post.hpp>

using namespace butter::test;
using butter::host::PunchBudget;
using butter::host::PunchBudgetLimits;
using namespace std::chrono_literals;

namespace {

PunchBudgetLimits budget_limits(std::uint32_t per_ip_per_minute, std::uint32_t burst, std::uint32_t per_second,
                                std::size_t max_ips) {
  PunchBudgetLimits l;
  l.per_ip_per_minute = per_ip_per_minute;
  l.per_ip_burst = burst;
  l.per_second = per_second;
  l.max_ips = max_ips;
  return l;
}

struct BudgetPunchResult {
  bool done = false;
  Error error;
};

std::shared_ptr<BudgetPunchResult> start_budget_punch(TestNode& n, const NodeId& peer,
                                                      std::vector<std::string> endpoints,
                                                      std::chrono::milliseconds window,
                                                      Transport::PunchSpread spread = {}) {
  auto out = std::make_shared<BudgetPunchResult>();
  boost::asio::post(n.strand, [&n, peer, endpoints, window, out, spread] {
    n.transport->punch(
        peer, endpoints, window,
        [out](Error e) {
          out->done = true;
          out->error = e;
        },
        spread);
  });
  return out;
}

}  // namespace

TEST_CASE("punch budget: a destination IP gets its burst, then what the refill rate gives", "[transport][punch]") {
  PunchBudget b(budget_limits(6, 6, 1000, 16));  // 6 a minute: one token every 10 s
  const PunchBudget::TimePoint t0{};
  for (int i = 0; i < 6; ++i) CHECK(b.take("198.18.0.1", t0));
  CHECK_FALSE(b.take("198.18.0.1", t0));
  CHECK(b.refused() == 1);
  // Another IP has a bucket of its own.
  CHECK(b.take("198.18.0.2", t0));
  // 9.9 s: not yet a whole token; 10 s: one, and only one.
  CHECK_FALSE(b.take("198.18.0.1", t0 + 9900ms));
  CHECK(b.take("198.18.0.1", t0 + 10s));
  CHECK_FALSE(b.take("198.18.0.1", t0 + 10s));
  // A long quiet time refills up to the burst, not beyond.
  for (int i = 0; i < 6; ++i) CHECK(b.take("198.18.0.1", t0 + 1h));
  CHECK_FALSE(b.take("198.18.0.1", t0 + 1h));
  CHECK(b.refused() == 4);
}

TEST_CASE("punch budget: the node-wide bucket bounds all IPs together, and a refusal takes nothing",
          "[transport][punch]") {
  PunchBudget b(budget_limits(60, 2, 3, 16));
  const PunchBudget::TimePoint t0{};
  CHECK(b.take("198.18.0.1", t0));
  CHECK(b.take("198.18.0.2", t0));
  CHECK(b.take("198.18.0.3", t0));
  CHECK_FALSE(b.take("198.18.0.4", t0));  // the node's 3 a second are spent
  CHECK(b.refused() == 1);
  // A second later the node has 3 again; 198.18.0.4's bucket lost nothing to the refusal.
  CHECK(b.take("198.18.0.4", t0 + 1s));
  CHECK(b.take("198.18.0.4", t0 + 1s));
  CHECK_FALSE(b.take("198.18.0.4", t0 + 1s));  // its own burst of 2 now
  CHECK(b.take("198.18.0.5", t0 + 1s));        // the node's third token
  CHECK_FALSE(b.take("198.18.0.6", t0 + 1s));
  CHECK(b.refused() == 3);
}

TEST_CASE("punch budget: the table holds at most max_ips, the least recently used forgotten first",
          "[transport][punch]") {
  PunchBudget b(budget_limits(1, 1, 100000, 3));  // the node-wide bucket out of the way
  const PunchBudget::TimePoint t0{};
  CHECK(b.take("198.18.0.1", t0));
  CHECK(b.take("198.18.0.2", t0));
  CHECK(b.take("198.18.0.3", t0));
  CHECK_FALSE(b.take("198.18.0.1", t0));  // used again: the most recent now
  CHECK(b.take("198.18.0.4", t0));        // the table is full: .2, the least recent, goes
  CHECK(b.tracked_ips() == 3);
  CHECK(b.tracks("198.18.0.1"));
  CHECK_FALSE(b.tracks("198.18.0.2"));
  CHECK(b.tracks("198.18.0.3"));
  CHECK(b.tracks("198.18.0.4"));
  // Thousands of IPs never grow it beyond its bound; .1, spent, is still refused while tracked.
  for (int i = 0; i < 2000; ++i) (void)b.take("198.19." + std::to_string(i / 250) + "." + std::to_string(i % 250), t0);
  CHECK(b.tracked_ips() == 3);
  // A forgotten IP starts again with a full bucket (the node-wide bucket bounds that).
  CHECK(b.take("198.18.0.2", t0));
}

TEST_CASE("punch budget: a spread's SYNs have a bucket of their own per IP, and share the node-wide one",
          "[transport][punch]") {
  auto limits = budget_limits(2, 2, 8, 16);
  limits.spread_per_ip_per_minute = 5;
  PunchBudget b(limits);
  const PunchBudget::TimePoint t0{};
  CHECK(b.take("198.18.0.1", t0));
  CHECK(b.take("198.18.0.1", t0));
  CHECK_FALSE(b.take("198.18.0.1", t0));                               // the plain bucket is empty...
  for (int i = 0; i < 5; ++i) CHECK(b.take_spread("198.18.0.1", t0));  // ...the spread's is not
  CHECK_FALSE(b.take_spread("198.18.0.1", t0));
  // 7 of the node's 8 taken: one left, for either kind.
  CHECK(b.take_spread("198.18.0.2", t0));
  CHECK_FALSE(b.take_spread("198.18.0.3", t0));
  CHECK_FALSE(b.take("198.18.0.3", t0));
  CHECK(b.refused() == 4);
}

TEST_CASE("punch budget: limits of 0 are raised to 1", "[transport][punch]") {
  PunchBudget b(budget_limits(0, 0, 0, 0));
  const PunchBudget::TimePoint t0{};
  CHECK(b.take("198.18.0.1", t0));
  CHECK_FALSE(b.take("198.18.0.1", t0));
  CHECK(b.tracked_ips() == 1);
}

TEST_CASE("punch budget: SYNs over budget are not sent, and a punch with none left fails as budget",
          "[transport][punch]") {
  IoThread t;
  // A frozen clock: the buckets never refill during the test. One SYN per IP.
  const auto t0 = std::chrono::steady_clock::now();
  TestNode a(t.io, [t0](TransportOptions& o) {
    o.clock = [t0] { return t0; };
    o.punch_syns_per_ip_per_minute = 1;  // also the burst
    o.punch_spread_syns_per_ip_per_minute = 2;
  });
  TestNode b(t.io);
  const std::string dead = "tcp://127.0.0.1:" + std::to_string(free_ports(1).at(0));
  // One endpoint and a spread of 2 + 2 wanted: the endpoint's SYN and 2 of the spread sent;
  // refused by nobody listening, their retries over budget too: the punch ends with what happened
  // to the SYNs that went out.
  auto first = start_budget_punch(a, b.id, {dead}, 2s, {2, 2});
  REQUIRE(a.wait([&](TestNode&) { return first->done; }));
  INFO(first->error.message);
  CHECK(first->error.message.rfind("refused", 0) == 0);
  auto st = a.stats();
  CHECK(st.punch_syns_refused >= 3);  // 2 of the spread, and at least the first retry
  // The same IP again: nothing left, nothing sent.
  auto second = start_budget_punch(a, b.id, {dead}, 2s);
  REQUIRE(a.wait([&](TestNode&) { return second->done; }));
  CHECK(second->error.code == BUTTER_E_AGAIN);
  CHECK(second->error.message.rfind("budget", 0) == 0);
  CHECK(a.stats().punch_syns_refused == st.punch_syns_refused + 1);
  CHECK(a.stats().punch_failures == 2);
  // Another IP (127.0.0.2 is loopback too) has its own bucket: sent, refused by nobody there.
  const std::string other = "tcp://127.0.0.2:" + std::to_string(free_ports(1).at(0));
  auto third = start_budget_punch(a, b.id, {other}, 600ms);
  REQUIRE(a.wait([&](TestNode&) { return third->done; }));
  INFO(third->error.message);
  CHECK(third->error.message.rfind("budget", 0) != 0);
}
