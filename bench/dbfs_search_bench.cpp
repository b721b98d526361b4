// Search cost against success: BFS flooding, random BFS (half the neighbours) and directed BFS
// (plugins/ir-dbfs), in one discrete-event simulation of 100 and of 1000 nodes with virtual time.
// The simulated nodes run the plugin's own Engine (plugins/ir-dbfs/src), so the figures are those
// of the code a node runs; only the transport and the clock are simulated.
//
// The network: each node knows `known` random hosts (its known-host cache) and picks `out` of
// them as overlay neighbours; links work both ways (as the plugin's inbound neighbours do), so
// the mean degree is about 2 x out. Every link has a fixed one-way delay drawn in [10, 100] ms.
// Objects are stored with r = 3 replicas placed as the storage plugin places them: on the node
// that puts it and on r - 1 random hosts of that node's known-host cache. Each query looks for one
// object id from a node that does not hold it, asks for one result, and runs alone (its messages
// are all the messages sent until the network is quiet again). Every method sees the same graph,
// objects and queries. Directed BFS learns from past queries: it is measured cold (a fresh
// network, no history: random first hops) and warm (after `warmup` queries from random nodes).
//
// Objects are content objects (their id is the hash of their manifest, as butter.storage/1 makes
// them), so the source verifies every hit as the plugin does by default (PROVE/PROOF: README
// "Search integrity"); "proof msg" counts those messages, and the "no verify" row is the same
// search without verification.
//
//   butter-bench-dbfs [queries] [warmup_per_node]      (defaults 400 and 5; 2 per node at 1000 nodes)
//   butter-bench-dbfs Q W fanout ttl_start ttl_step margin x   (tuning: directed BFS with these only)
#include "sim_network.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <set>
#include <random>
#include <string>
#include <vector>

using namespace butter::dbfs;
using namespace butter::dbfs::sim;

namespace {

struct World {
  std::size_t n = 0;
  std::vector<std::pair<std::size_t, std::size_t>> links;
  std::vector<std::vector<std::size_t>> holders;             // object -> nodes holding it
  std::vector<std::pair<std::size_t, std::size_t>> queries;  // (source, object)
  std::vector<std::pair<std::size_t, std::size_t>> warmup;
  std::uint64_t seed = 0;
};

std::string object_name(std::size_t k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "obj%06zu", k);
  return buf;
}

World make_world(std::size_t n, std::size_t known, std::size_t out, std::size_t objects, std::size_t replicas,
                 std::size_t queries, std::size_t warmup, std::uint64_t seed) {
  World w;
  w.n = n;
  w.seed = seed;
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::size_t>> cache(n);
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::size_t> others;
    for (auto j : all)
      if (j != i) others.push_back(j);
    std::shuffle(others.begin(), others.end(), rng);
    others.resize(std::min(known, others.size()));
    cache[i] = others;
  }
  std::set<std::pair<std::size_t, std::size_t>> edges;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::size_t> pick = cache[i];
    std::shuffle(pick.begin(), pick.end(), rng);
    for (std::size_t k = 0; k < out && k < pick.size(); ++k) edges.emplace(std::min(i, pick[k]), std::max(i, pick[k]));
  }
  w.links.assign(edges.begin(), edges.end());
  std::uniform_int_distribution<std::size_t> any(0, n - 1);
  for (std::size_t k = 0; k < objects; ++k) {
    const std::size_t putter = any(rng);
    std::vector<std::size_t> h{putter};
    std::vector<std::size_t> pick = cache[putter];
    std::shuffle(pick.begin(), pick.end(), rng);
    for (std::size_t j = 0; j < pick.size() && h.size() < replicas; ++j) h.push_back(pick[j]);
    w.holders.push_back(h);
  }
  auto draw = [&](std::size_t count, std::vector<std::pair<std::size_t, std::size_t>>& into) {
    std::uniform_int_distribution<std::size_t> obj(0, objects - 1);
    while (into.size() < count) {
      const std::size_t o = obj(rng), s = any(rng);
      if (std::find(w.holders[o].begin(), w.holders[o].end(), s) != w.holders[o].end()) continue;
      into.emplace_back(s, o);
    }
  };
  draw(queries, w.queries);
  draw(warmup, w.warmup);
  return w;
}

struct Figures {
  double query_msgs = 0, all_msgs = 0, proof_msgs = 0, found = 0, first_ms_mean = 0, first_ms_p50 = 0, first_ms_p90 = 0;
};

Figures run(const World& w, const EngineConfig& cfg, bool warm) {
  SimNetwork net(w.n, cfg, w.seed + 17);
  for (auto [a, b] : w.links) net.link(a, b);
  net.set_delay([](std::size_t a, std::size_t b) -> std::uint64_t {
    const std::uint64_t x = std::min(a, b) * 1000003u + std::max(a, b);
    return 10 + (x * 2654435761u >> 7) % 91;  // fixed per link, 10..100 ms
  });
  std::vector<std::string> ids(w.holders.size());
  for (std::size_t k = 0; k < w.holders.size(); ++k)
    for (auto h : w.holders[k]) ids[k] = net.store(h, object_name(k));
  auto one = [&](std::size_t src, std::size_t obj) {
    SearchSpec s;
    s.kind = QueryKind::Object;
    s.terms = {ids[obj]};
    s.max_results = 1;
    s.ttl = 7;
    net.search(src, s);
    net.run();
    net.run(net.now() + 1000);  // a pause between queries
  };
  if (warm)
    for (auto [s, o] : w.warmup) one(s, o);
  const std::size_t first_record = net.records().size();
  const std::uint64_t q0 = net.sent(MsgType::Query) + net.sent(MsgType::Extend), a0 = net.sent_total(),
                      p0 = net.sent_proofs();
  std::vector<double> times;
  std::size_t found = 0;
  for (auto [s, o] : w.queries) one(s, o);
  for (std::size_t i = first_record; i < net.records().size(); ++i) {
    const auto& r = net.records()[i];
    if (r.hits.empty()) continue;
    ++found;
    times.push_back(static_cast<double>(r.first_hit_ms()));
  }
  const double nq = static_cast<double>(w.queries.size());
  Figures f;
  f.query_msgs = static_cast<double>(net.sent(MsgType::Query) + net.sent(MsgType::Extend) - q0) / nq;
  f.proof_msgs = static_cast<double>(net.sent_proofs() - p0) / nq;
  f.all_msgs = static_cast<double>(net.sent_total() - a0) / nq + f.proof_msgs;
  f.found = static_cast<double>(found) / nq;
  if (!times.empty()) {
    f.first_ms_mean = std::accumulate(times.begin(), times.end(), 0.0) / static_cast<double>(times.size());
    std::sort(times.begin(), times.end());
    f.first_ms_p50 = times[times.size() / 2];
    f.first_ms_p90 = times[times.size() * 9 / 10];
  }
  return f;
}

void row(const char* name, const Figures& f, const Figures& flood) {
  std::printf("%-26s %9.1f %7.2fx %9.1f %9.1f %7.1f%% %9.0f %9.0f %9.0f\n", name, f.query_msgs,
              flood.query_msgs > 0 ? f.query_msgs / flood.query_msgs : 0.0, f.proof_msgs, f.all_msgs, 100 * f.found,
              f.first_ms_mean, f.first_ms_p50, f.first_ms_p90);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t queries = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 400;
  const std::size_t warmup_per_node = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 5;
  EngineConfig defaults;  // the plugin's defaults
  // Tuning (not used by butter-bench-all): source_fanout ttl_start ttl_step.
  if (argc > 3) defaults.source_fanout = static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 10));
  if (argc > 4) defaults.ttl_start = static_cast<std::uint32_t>(std::strtoul(argv[4], nullptr, 10));
  if (argc > 5) defaults.ttl_step = static_cast<std::uint32_t>(std::strtoul(argv[5], nullptr, 10));
  if (argc > 6) defaults.step_margin = std::strtod(argv[6], nullptr);
  const bool only_directed = argc > 7;
  std::printf("search cost against success (virtual time; link delay 10..100 ms; r = 3 replicas; one result asked)\n");
  std::printf("directed BFS: plugin defaults: source_fanout %u, heuristic %s, deepening from TTL %u by %u up to 7\n",
              defaults.source_fanout, heuristic_name(defaults.heuristic), defaults.ttl_start, defaults.ttl_step);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::vector<std::size_t> sizes{100, 1000};
  if (const char* env = std::getenv("DBFS_BENCH_SIZES")) sizes = {std::strtoul(env, nullptr, 10)};
  for (std::size_t n : sizes) {
    const std::size_t known = std::min<std::size_t>(n - 1, 64), out = 4;
    // Relays learn from every query they pass on, so a large network needs fewer per node.
    const std::size_t per_node = n >= 1000 ? std::max<std::size_t>(1, warmup_per_node * 2 / 5) : warmup_per_node;
    const std::size_t objects = n, warmup = per_node * n;
    const World w = make_world(n, known, out, objects, 3, queries, warmup, 42 + n);
    std::printf(
        "\n%zu nodes, %zu links (mean degree %.1f), %zu objects, %zu queries; warm-up %zu queries (%zu per node)\n", n,
        w.links.size(), 2.0 * static_cast<double>(w.links.size()) / static_cast<double>(n), objects, queries, warmup,
        per_node);
    std::printf("%-26s %9s %8s %9s %9s %8s %9s %9s %9s\n", "method", "query msg", "vs flood", "proof msg", "all msg",
                "found", "1st ms", "1st p50", "1st p90");
    EngineConfig flood = defaults;
    flood.method = Method::Flood;
    EngineConfig random = defaults;
    random.method = Method::RandomHalf;
    EngineConfig directed = defaults;
    EngineConfig no_deepening = defaults;
    no_deepening.deepening = false;
    no_deepening.source_fanout = 2;
    const Figures f = run(w, flood, false);
    row("BFS flooding", f, f);
    if (only_directed) {
      row("directed BFS, warm", run(w, directed, true), f);
      continue;
    }
    row("random BFS (half)", run(w, random, false), f);
    row("directed BFS, cold", run(w, directed, false), f);
    row("directed BFS, warm", run(w, directed, true), f);
    EngineConfig no_verify = defaults;
    no_verify.verify = false;
    row("directed, warm, no verify", run(w, no_verify, true), f);
    if (n > 100) continue;  // the variants below: 100 nodes only (time)
    EngineConfig time = defaults;
    time.heuristic = Heuristic::Time;
    row("directed BFS, warm, <TIME", run(w, time, true), f);
    EngineConfig rnd = defaults;
    rnd.heuristic = Heuristic::Random;
    row("deepening, random 1st hop", run(w, rnd, true), f);
    row("directed, no deepening", run(w, no_deepening, true), f);
  }
  std::printf(
      "\nquery msg = QUERY + EXTEND messages per query; proof msg = PROVE + PROOF (verification);\n"
      "all msg adds the HITS messages (reverse path) and the proof messages;\n"
      "1st ms = virtual time from the search to its first hit, over the queries that found one.\n"
      "Go prototype (100 nodes): BFS 587 messages 100%% found; random BFS 235 messages 68%% found.\n");
  return 0;
}
