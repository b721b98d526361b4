// The building blocks of the engine: limits and rate limiter, seen cache, neighbour statistics
// and selection, neighbour set, local index.
#include "limits.hpp"
#include "local_index.hpp"
#include "neighbour_stats.hpp"
#include "neighbours.hpp"
#include "seen_cache.hpp"

#include <catch2/catch.hpp>

using namespace butter::dbfs;

TEST_CASE("limits refuse queries over TTL terms size and results") {
  Limits lim;
  lim.max_ttl = 4;
  lim.max_terms = 2;
  lim.max_term_len = 5;
  lim.max_query_bytes = 100;
  lim.max_results = 10;
  Query q;
  q.ttl = 4;
  q.terms = {"abc"};
  q.max_results = 10;
  CHECK(check_query(lim, q, 50) == Refusal::None);
  q.ttl = 5;
  CHECK(check_query(lim, q, 50) == Refusal::Ttl);
  q.ttl = 1;
  CHECK(check_query(lim, q, 101) == Refusal::Size);
  q.terms = {"a", "b", "c"};
  CHECK(check_query(lim, q, 50) == Refusal::Terms);
  q.terms = {"abcdef"};
  CHECK(check_query(lim, q, 50) == Refusal::TermLength);
  q.terms = {"a"};
  q.max_results = 11;
  CHECK(check_query(lim, q, 50) == Refusal::MaxResults);
}

TEST_CASE("rate limiter allows a burst then the rate per peer") {
  Limits lim;
  lim.rate_per_s = 10;
  lim.burst = 5;
  lim.rate_peers = 2;
  RateLimiter r(lim);
  int ok = 0;
  for (int i = 0; i < 20; ++i) ok += r.allow("a", 1000);
  CHECK(ok == 5);
  CHECK(r.allow("b", 1000));        // another peer has its own bucket
  CHECK_FALSE(r.allow("a", 1050));  // 0.5 token refilled
  CHECK(r.allow("a", 1100));        // 1 token after 100 ms at 10/s
  CHECK_FALSE(r.allow("a", 1100));
  CHECK(r.allow("c", 1200));  // a third peer evicts the idlest bucket
  CHECK(r.size() == 2);
}

TEST_CASE("seen cache is bounded in size and age") {
  SeenCache c(3, 1000);
  for (std::uint64_t i = 1; i <= 4; ++i) {
    SeenEntry e;
    e.first_ms = i;
    e.upstream = "p" + std::to_string(i);
    c.insert(QueryId{0, i}, e);
  }
  CHECK(c.size() == 3);
  CHECK(c.evicted() == 1);
  CHECK_FALSE(c.find(QueryId{0, 1}, 10));  // the oldest went first
  REQUIRE(c.find(QueryId{0, 4}, 10));
  CHECK(c.find(QueryId{0, 4}, 10)->upstream == "p4");
  CHECK_FALSE(c.find(QueryId{0, 2}, 1002));  // past its age
  c.expire(1003);
  CHECK(c.size() == 1);
  c.expire(5000);
  CHECK(c.size() == 0);
  // An id seen again after it expired is a new entry, not evicted by its stale record.
  SeenEntry again;
  again.first_ms = 6000;
  c.insert(QueryId{0, 4}, again);
  c.expire(6500);
  CHECK(c.find(QueryId{0, 4}, 6500));
}

TEST_CASE("neighbour statistics rank by results time and hops") {
  NeighbourStats s(0.9, 2);
  std::mt19937_64 rng(1);
  const std::vector<std::string> peers{"a", "b", "c"};
  // Cold: nothing known, selection is random (all three appear over many draws).
  std::map<std::string, int> firsts;
  for (int i = 0; i < 60; ++i) firsts[s.select(peers, 1, Heuristic::Results, rng).front()]++;
  CHECK(firsts.size() == 3);
  CHECK_FALSE(s.warm(peers));
  for (int i = 0; i < 5; ++i) {
    for (const auto& p : peers) s.on_sent(p);
    s.on_hits("a", 1, 300, 3, true);  // a: few results, slow, far
    s.on_hits("b", 4, 100, 2, true);  // b: most results
    s.on_hits("c", 2, 20, 1, true);   // c: fastest and nearest
  }
  CHECK(s.warm(peers));
  CHECK(s.select(peers, 1, Heuristic::Results, rng) == std::vector<std::string>{"b"});
  CHECK(s.select(peers, 1, Heuristic::Time, rng) == std::vector<std::string>{"c"});
  CHECK(s.select(peers, 1, Heuristic::Hops, rng) == std::vector<std::string>{"c"});
  CHECK(s.select(peers, 2, Heuristic::Results, rng) == std::vector<std::string>{"b", "c"});
  // A new neighbour gets the best known score: it is tried rather than starved.
  const std::vector<std::string> more{"a", "b", "c", "new"};
  CHECK(s.score("new", Heuristic::Results) == Approx(s.score("b", Heuristic::Results)));
  // A neighbour that stops answering fades: its results decay with each query sent.
  for (int i = 0; i < 40; ++i) {
    for (const auto& p : peers) s.on_sent(p);
    s.on_hits("a", 3, 50, 1, true);
  }
  CHECK(s.select(peers, 1, Heuristic::Results, rng) == std::vector<std::string>{"a"});
  std::set<std::string> random_firsts;
  for (int i = 0; i < 60; ++i) random_firsts.insert(s.select(peers, 1, Heuristic::Random, rng).front());
  CHECK(random_firsts.size() == 3);
  Heuristic h;
  CHECK(parse_heuristic("time", h));
  CHECK(h == Heuristic::Time);
  CHECK_FALSE(parse_heuristic("fast", h));
}

TEST_CASE("neighbours are the chosen set plus bounded live inbound links") {
  Neighbours n(2, 1000);
  n.set_outbound({"a", "b"});
  n.note_inbound("a", 0);  // already outbound: not counted twice
  n.note_inbound("x", 0);
  n.note_inbound("y", 10);
  n.note_inbound("z", 20);  // full and all live: refused
  CHECK(n.all(30) == std::vector<std::string>{"a", "b", "x", "y"});
  n.note_inbound("z", 1005);  // x idle for 1005 ms: replaced
  CHECK(n.all(1005) == std::vector<std::string>{"a", "b", "y", "z"});
  CHECK(n.all(2000) == std::vector<std::string>{"a", "b", "z"});
  n.remove("b");
  n.remove("z");
  CHECK(n.all(2000) == std::vector<std::string>{"a"});
  // Inbound first, then chosen too: listed once.
  n.note_inbound("q", 2000);
  n.set_outbound({"a", "q"});
  CHECK(n.all(2001) == std::vector<std::string>{"a", "q"});
  CHECK(n.inbound_count(2001) == 0);
}

TEST_CASE("local index matches objects and all keywords case-insensitively") {
  LocalIndex idx(3);
  CHECK(idx.add_stored("o1", {"Red", "apple"}));
  CHECK(idx.add_stored("o2", {"red", "car"}));
  CHECK(idx.annotate("o3", {"blue", "CAR"}));
  CHECK_FALSE(idx.annotate("o4", {"x"}));  // full
  CHECK(idx.match_object("o1").size() == 1);
  CHECK(idx.match_object("nope").empty());
  auto red = idx.match_keywords({"RED"}, 10);
  REQUIRE(red.size() == 2);
  CHECK(red[0].object_id == "o1");
  CHECK(idx.match_keywords({"red", "car"}, 10).size() == 1);
  CHECK(idx.match_keywords({"red", "car"}, 10).front().object_id == "o2");
  CHECK(idx.match_keywords({"car"}, 1).size() == 1);  // bounded by max
  CHECK(idx.match_keywords({"car", "boat"}, 10).empty());
  // Annotations survive a drop by storage; stored keywords do not.
  CHECK(idx.annotate("o2", {"vintage"}));
  idx.drop_stored("o2");
  CHECK(idx.match_keywords({"red", "car"}, 10).empty());
  CHECK(idx.match_keywords({"vintage"}, 10).size() == 1);
  idx.drop_stored("o1");
  CHECK_FALSE(idx.contains("o1"));
  CHECK(idx.match_keywords({"apple"}, 10).empty());
  CHECK(idx.stored_count() == 0);
  CHECK(idx.size() == 2);
  CHECK(idx.annotate("o5", {}));  // knowing an object without keywords
  CHECK(idx.match_object("o5").size() == 1);
  auto ann = idx.annotations();  // what a hot swap carries over: annotations, not storage's objects
  REQUIRE(ann.size() == 3);
  CHECK(ann[0].object_id == "o2");
  CHECK(ann[0].keywords == std::vector<std::string>{"vintage"});
  CHECK(ann[1].keywords == std::vector<std::string>{"blue", "car"});
  CHECK(ann[2].object_id == "o5");
  CHECK(ann[2].keywords.empty());
}
