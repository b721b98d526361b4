// The message budget and the per-address query rate on the engine, in the simulation: one query
// costs the network at most its budget in a 200-node graph of mean degree 8 at TTL 7 (from this
// node's own search, from a stranger claiming a huge budget, from an older node sending none),
// and the amplification measured the way (800 TTL-7 queries from 20 node ids behind one
// address) is bounded. The figures before/after are printed (WARN); the bounds are asserted.
#include "sim_network.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <set>

using namespace butter::dbfs;
using namespace butter::dbfs::sim;

namespace {

// Each node links to `out` random others (links work both ways: mean degree 2 x out), each with
// its own address in 10.0.0.0/8 (a distinct /24 each, so that honest relays do not share buckets).
void random_graph(SimNetwork& net, std::size_t out, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < net.size(); ++i) {
    net.set_address(i, "tcp://10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1:7000");
    std::set<std::size_t> chosen;
    for (int tries = 0; chosen.size() < out && tries < 1000; ++tries) {
      const std::size_t j = rng() % net.size();
      if (j != i) chosen.insert(j);
    }
    for (auto j : chosen) net.link(i, j);
  }
}

Query stranger_query(std::uint64_t n, std::uint8_t ttl, std::optional<std::uint16_t> budget) {
  Query q;
  q.id = QueryId{0xbad, n};
  q.kind = QueryKind::Keywords;
  q.ttl = ttl;
  q.hops = 1;
  q.budget = budget;
  q.terms = {"nothing-matches-this"};
  return q;
}

std::uint64_t query_and_extend(const SimNetwork& net) { return net.sent(MsgType::Query) + net.sent(MsgType::Extend); }

}  // namespace

TEST_CASE("one query costs at most its budget in 200 nodes of degree 8 at TTL 7") {
  for (Method m : {Method::Flood, Method::Directed, Method::RandomHalf}) {
    EngineConfig c;
    c.method = m;
    c.hop_ms = 20;
    c.limits.max_budget = 300;
    SimNetwork net(200, c, 3);
    random_graph(net, 4, 11);
    SearchSpec s;
    s.kind = QueryKind::Object;
    s.terms = {"absent"};  // found nowhere: the search goes as deep and wide as it may
    s.ttl = 7;
    REQUIRE(net.search(0, s) == 0);
    net.run();
    REQUIRE(net.records()[0].done);
    const std::uint64_t cost = query_and_extend(net);
    std::uint64_t exhausted = 0;
    for (std::size_t i = 0; i < net.size(); ++i) exhausted += net.node(i).counters().budget_exhausted;
    WARN(method_name(m) << ": one search cost " << cost << " QUERY+EXTEND messages (budget 300, " << exhausted
                        << " not sent for want of budget)");
    CHECK(cost <= 300);
    CHECK(net.sent(MsgType::Hits) == 0);
  }

  // Without the budget (the largest the field holds) the same flood costs far more.
  EngineConfig c;
  c.method = Method::Flood;
  c.limits.max_budget = 65535;
  SimNetwork wide(200, c, 3);
  random_graph(wide, 4, 11);
  SearchSpec s;
  s.kind = QueryKind::Object;
  s.terms = {"absent"};
  s.ttl = 7;
  wide.search(0, s);
  wide.run();
  WARN("flood without a binding budget: " << query_and_extend(wide) << " messages for one search");
  CHECK(query_and_extend(wide) > 1000);
}

TEST_CASE("a stranger's budget and TTL over the maximum are clamped or dropped") {
  EngineConfig c;
  c.limits.max_budget = 200;
  c.limits.legacy_budget = 50;
  SimNetwork net(200, c, 5);
  random_graph(net, 4, 13);
  // A huge budget claimed: clamped to the receiver's maximum; the whole network spends at most that.
  net.inject_from("evil", "tcp://203.0.113.7:4000", 0, encode(stranger_query(1, 7, 0xFFFF)), 0);
  net.run();
  CHECK(net.node(0).counters().budget_clamped == 1);
  const std::uint64_t huge = query_and_extend(net);
  CHECK(huge <= 200);
  CHECK(huge >= 100);  // and the budget is used: the query does travel
  // No budget (an older node's version-1 query): the conservative legacy budget.
  net.inject_from("old", "tcp://198.51.100.3:4000", 7, encode(stranger_query(2, 7, std::nullopt)), net.now());
  net.run();
  CHECK(net.node(7).counters().legacy_queries == 1);
  CHECK(query_and_extend(net) - huge <= 50);
  // A TTL over max_ttl is never accepted.
  net.inject_from("evil", "tcp://203.0.113.7:4000", 9, encode(stranger_query(3, 8, 10)), net.now());
  const std::uint64_t before = query_and_extend(net);
  net.run();
  CHECK(net.node(9).counters().over_limit == 1);
  CHECK(query_and_extend(net) == before);
}

TEST_CASE("an answer flood is not amplified along the reverse path") {
  for (bool by_results : {false, true}) {
    EngineConfig c;
    c.method = Method::Flood;
    c.limits.max_hit_messages = by_results ? 100 : 4;
    SimNetwork net(2, c);
    net.link(0, 1);
    // "liar" links to n0, so n0 forwards queries to it; "evil" asks n0 something.
    net.inject_from("liar", "tcp://203.0.113.9:1", 0, encode_link(), 0);
    Query q = stranger_query(1, 3, 10);
    q.max_results = by_results ? 10 : 200;
    net.inject_from("evil", "tcp://203.0.113.7:1", 0, encode(q), 1);
    net.run();
    REQUIRE(net.node(0).counters().queries_forwarded == 1);
    const std::uint64_t hits_before = net.sent(MsgType::Hits);
    // The liar answers 50 times with 3 hits each: n0 relays up to max_hit_messages HITS or the
    // results the query asked for (at least kMinRelayEntries), whichever comes first.
    Hits h;
    h.id = q.id;
    h.hops = 2;
    for (int k = 0; k < 3; ++k) h.hits.push_back(Hit{"o" + std::to_string(k), "liar", {}, {}});
    for (int i = 0; i < 50; ++i) net.inject_from("liar", "tcp://203.0.113.9:1", 0, encode(h), net.now() + 1);
    net.run();
    const std::uint64_t relayed = net.sent(MsgType::Hits) - hits_before;
    INFO((by_results ? "bounded by max_results" : "bounded by max_hit_messages"));
    // 4 messages; by results (10 asked, so the floor of 16): 0 3 6 9 12 15 relayed before each of
    // 6 messages, then 18 >= 16.
    const std::uint64_t want = by_results ? 6 : 4;
    CHECK(relayed == want);
    CHECK(net.node(0).counters().hits_dropped == 50 - want);
  }
}

TEST_CASE("amplification of 800 queries from 20 node ids behind one address is bounded") {
  // The measurement: 800 TTL-7 queries, 40 from each of 20 node ids at one address, sent to
  // one node of a small network over one second; amplification = messages the network sent
  // because of them / 800. "Before": the old limits (a rate per node id only, no budget).
  // "After": the defaults (per-address and per-prefix rate, max_budget).
  auto measure = [](const EngineConfig& c, std::size_t nodes, std::uint64_t& accepted) {
    SimNetwork net(nodes, c, 9);
    random_graph(net, 2, 17);
    for (std::uint64_t n = 0; n < 800; ++n) {
      const std::uint64_t id = n % 20;
      net.inject_from("evil" + std::to_string(id), "tcp://203.0.113.7:" + std::to_string(40000 + id), 0,
                      encode(stranger_query(n, 7, 0xFFFF)), n * 1000 / 800);
    }
    net.run();
    accepted = net.node(0).counters().queries_received;
    return net.sent_total();
  };
  EngineConfig before;
  before.limits.address_rate_per_s = before.limits.prefix_rate_per_s = 1e9;
  before.limits.address_burst = before.limits.prefix_burst = 1e9;
  before.limits.max_budget = 65535;
  const EngineConfig after;
  for (std::size_t nodes : {6, 200}) {
    std::uint64_t acc_before = 0, acc_after = 0;
    const std::uint64_t cost_before = measure(before, nodes, acc_before);
    const std::uint64_t cost_after = measure(after, nodes, acc_after);
    const double amp_before = static_cast<double>(cost_before) / 800.0,
                 amp_after = static_cast<double>(cost_after) / 800.0;
    WARN(nodes << " nodes: before " << cost_before << " messages (" << amp_before << "x, " << acc_before
               << " of 800 accepted), after " << cost_after << " messages (" << amp_after << "x, " << acc_after
               << " accepted)");
    // Accepted: at most the address bucket's burst plus one second of its rate.
    CHECK(acc_before == 800);
    CHECK(acc_after <= static_cast<std::uint64_t>(after.limits.address_burst + after.limits.address_rate_per_s) + 1);
    // Each accepted query costs at most max_budget QUERY/EXTEND messages (no hits: nothing matches).
    CHECK(cost_after <= acc_after * after.limits.max_budget);
    CHECK(amp_after < amp_before);
  }
}
