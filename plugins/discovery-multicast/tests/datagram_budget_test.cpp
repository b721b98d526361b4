// The receive budget of discovery: global and per-sender token buckets, the bounded sender
// table, and the rate-limited shed report, on a fake millisecond clock.
#include "datagram_budget.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace butter::discovery;

namespace {

BudgetLimits limits(double global, double global_burst, double sender, double sender_burst,
                    std::size_t max_senders = 1024) {
  BudgetLimits l;
  l.per_second = global;
  l.burst = global_burst;
  l.per_sender_per_second = sender;
  l.per_sender_burst = sender_burst;
  l.max_senders = max_senders;
  return l;
}

int admitted(DatagramBudget& b, const std::string& sender, int n, std::uint64_t now_ms) {
  int ok = 0;
  for (int i = 0; i < n; ++i) ok += b.admit(sender, now_ms) == Shed::None ? 1 : 0;
  return ok;
}

}  // namespace

TEST_CASE("discovery-multicast budget: a sender gets its burst then is shed until its bucket refills") {
  DatagramBudget b(limits(1000, 1000, 20, 40));
  CHECK(admitted(b, "10.0.0.1", 100, 1000) == 40);
  CHECK(b.shed_by_sender() == 60);
  CHECK(b.shed_by_budget() == 0);
  CHECK(b.admit("10.0.0.1", 1049) == Shed::Sender);  // 49 ms: under one token
  CHECK(b.admit("10.0.0.1", 1050) == Shed::None);    // 50 ms at 20/s: one token
  CHECK(b.admit("10.0.0.1", 1050) == Shed::Sender);
  CHECK(admitted(b, "10.0.0.1", 100, 2050) == 20);    // one second later: 20 more
  CHECK(admitted(b, "10.0.0.1", 100, 100000) == 40);  // a long pause refills only up to the burst
}

TEST_CASE("discovery-multicast budget: a flooding sender is shed while a polite one passes") {
  DatagramBudget b(limits(200, 200, 20, 40));
  int polite_ok = 0, polite_sent = 0, flood_ok = 0;
  // Ten seconds: the flooder sends 1000 datagrams per 10 ms tick, the polite sender 1 per 100 ms.
  for (std::uint64_t t = 0; t < 10000; t += 10) {
    flood_ok += admitted(b, "10.0.0.66", 1000, t);
    if (t % 100 == 0) {
      ++polite_sent;
      polite_ok += b.admit("10.0.0.7", t) == Shed::None ? 1 : 0;
    }
  }
  CHECK(polite_ok == polite_sent);
  CHECK(flood_ok <= 40 + 20 * 10 + 1);
  CHECK(b.shed_by_sender() >= 1000000 - 241);
  CHECK(b.shed_by_budget() == 0);  // the flooder never drew on the global budget beyond its own rate
}

TEST_CASE("discovery-multicast budget: the global budget bounds many senders together") {
  DatagramBudget b(limits(100, 100, 20, 20));
  int ok = 0;
  for (int s = 0; s < 50; ++s) ok += admitted(b, "10.0.1." + std::to_string(s), 20, 0);
  CHECK(ok == 100);
  CHECK(b.shed_by_budget() == 900);
  CHECK(b.shed_by_sender() == 0);
  // Half a second later the global bucket holds 50 tokens again, whoever asks.
  ok = 0;
  for (int s = 0; s < 50; ++s) ok += admitted(b, "10.0.2." + std::to_string(s), 2, 500);
  CHECK(ok == 50);
}

TEST_CASE("discovery-multicast budget: a sender shed for its own rate costs the global budget nothing") {
  DatagramBudget b(limits(10, 10, 5, 5));
  CHECK(admitted(b, "a", 1000, 0) == 5);
  CHECK(admitted(b, "b", 1000, 0) == 5);  // the other 5 global tokens were left for b
  CHECK(admitted(b, "c", 1000, 0) == 0);
  CHECK(b.shed_by_budget() == 1000);
}

TEST_CASE("discovery-multicast budget: the sender table stays bounded under spoofed sources") {
  DatagramBudget b(limits(1e9, 1e9, 1, 1, 64));
  for (int i = 0; i < 100000; ++i) {
    b.admit("spoof-" + std::to_string(i), static_cast<std::uint64_t>(i));
    REQUIRE(b.senders() <= 64);
  }
  CHECK(b.senders() == 64);
}

TEST_CASE("discovery-multicast budget: the least recently heard sender is forgotten first") {
  DatagramBudget b(limits(1e9, 1e9, 1, 1, 3));
  CHECK(b.admit("a", 0) == Shed::None);
  CHECK(b.admit("b", 0) == Shed::None);
  CHECK(b.admit("c", 0) == Shed::None);
  CHECK(b.admit("a", 0) == Shed::Sender);  // a heard again: now the most recent
  CHECK(b.admit("d", 0) == Shed::None);    // evicts b, the least recent
  CHECK(b.admit("a", 0) == Shed::Sender);  // a is still remembered with an empty bucket
  CHECK(b.admit("b", 0) == Shed::None);    // b was forgotten: comes back with a full bucket
  CHECK(b.senders() == 3);
}

TEST_CASE("discovery-multicast budget: the shed report goes out at once then at most once per period") {
  BudgetLimits l = limits(1000, 1000, 1, 1);
  l.report_ms = 5000;
  DatagramBudget b(l);
  CHECK(b.admit("x", 0) == Shed::None);
  CHECK_FALSE(b.report(0));  // nothing shed yet
  CHECK(b.admit("x", 0) == Shed::Sender);
  auto first = b.report(0);
  REQUIRE(first);
  CHECK(first->first);
  CHECK(first->by_sender == 1);
  CHECK(first->top_sender == "x");
  // A flood over the next 5 s: no report until the period is over, then one summary.
  int reports = 0;
  for (std::uint64_t t = 1; t < 5000; ++t) {
    b.admit("x", t);
    b.admit("y", t);
    b.admit("y", t);
    if (b.report(t)) ++reports;
  }
  CHECK(reports == 0);
  auto summary = b.report(5000);
  REQUIRE(summary);
  CHECK_FALSE(summary->first);
  CHECK(summary->since_ms == 5000);
  CHECK(summary->by_sender > 9000);
  CHECK(summary->top_sender == "y");
  CHECK(summary->by_budget == 0);
  // A whole period without shedding: quiet again, and the next shed is reported at once.
  CHECK_FALSE(b.report(10000));
  CHECK_FALSE(b.report(10001));
  b.admit("z", 20000);
  CHECK(b.admit("z", 20000) == Shed::Sender);
  auto again = b.report(20000);
  REQUIRE(again);
  CHECK(again->first);
  CHECK(again->top_sender == "z");
  CHECK(again->top_count == 1);
}
