// The overlay's membership at 10 000 and 100 000 nodes: a virtual-time simulation driving the
// knownhosts-quality plugin's own MembershipEngine (plugins/knownhosts-quality/sim/), with
// heavy-tailed sessions (log-normal, median 2 h: half of new nodes leave within 2 hours, one in
// ten stays a day or more), Poisson joins that balance departures, each bootstrapping to a random
// live node (or, with --fixed-seed, to one seed node), and the host's connection limits.
//
// Printed per N: the largest connected component of the overlay (neighbour links) over live
// nodes, the in-degree distribution, membership bytes per node per minute (real encoders), the
// time a newcomer takes to reach the low watermark of connections, and the simulator's own wall
// time and peak RSS.
//
// Usage: butter-bench-overlay-sim [N ...] [--capacity C] [--probation P] [--settle-min M] [--measure-min M]
//                                 [--fixed-seed] [--seed S] [--flood | --fanout F --news-per-min B]
//                                 [--median-session-s S] [--before] [--samples-per-min R] [--sample-until N]
//        (default: 10000 100000; 32 known hosts and 16 candidates per node, settle 3 min,
//        measure 2 min; the engine's rumour defaults. --flood: news to every neighbour, as before.
//        --before: the wire of before issue 15 (version-1 messages, a full sample to every first
//        contact both ways), for a baseline in the same run. --samples-per-min, --sample-until:
//        the engine's sample pulling (MembershipConfig).
//        On one free core: about 1 min for 10 000 nodes, 10 min and 6 GiB for 100 000.)
#include "overlay_sim.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace butter::knownhosts;
using namespace butter::knownhosts::sim;

namespace {

void print(const SimOptions& o, const SimResult& r) {
  std::printf("N=%zu (%s bootstrap, capacity %zu, news fanout %zu, news/min %zu, seed %llu, wire v%u", o.nodes,
              o.fixed_seed_node ? "fixed seed" : "random live", o.engine.capacity, o.engine.rumour.fanout,
              o.engine.rumour.news_per_min, static_cast<unsigned long long>(o.seed), unsigned{o.engine.wire_version});
  if (o.engine.wire_version == 2)
    std::printf(", samples pulled: every exchange below %zu hosts, else %.2f a minute", o.engine.sample_until,
                o.engine.samples_per_min);
  std::printf(")\n");
  std::printf("  live %zu; largest component %zu = %.4f of live (over all connections: %.4f)\n", r.live,
              r.largest_component, static_cast<double>(r.largest_component) / static_cast<double>(r.live),
              static_cast<double>(r.largest_component_conns) / static_cast<double>(r.live));
  std::printf("  in-degree:  %s\n", describe(r.in_degree).c_str());
  std::printf("  out-degree: %s\n", describe(r.out_degree).c_str());
  std::printf(
      "  membership bytes per node per minute %.0f (pex %.0f); news records received per node per minute %.1f\n",
      r.membership_bytes_per_node_min, r.pex_bytes_per_node_min, r.news_records_per_node_min);
  // What the bytes are spent on (both ends count a message, as in the total above).
  const double per = r.node_minutes > 0 ? r.node_minutes : 1;
  double sum = 0, records = 0;
  for (std::size_t k = 0; k < kTrafficKinds; ++k) {
    const auto kind = static_cast<Traffic>(k);
    const double b = static_cast<double>(r.traffic.bytes[k]) / per, n = static_cast<double>(r.traffic.items[k]) / per;
    sum += b;
    if (kind == Traffic::OwnRecord || kind == Traffic::SampleRecord || kind == Traffic::NewsRecord) records += n;
    std::printf("    %-32s %7.0f B/min  %7.2f per min  %6.1f B each\n", traffic_name(kind), b, n, n > 0 ? b / n : 0.0);
  }
  std::printf("    sum %.0f B/min; %.2f records per min, of which node ids and signatures (96 B each) %.0f B/min\n",
              sum, records, records * 96);
  std::printf(
      "  measure window: %zu joins, %zu leaves; newcomers at low water: %zu (alive and not: %zu), p50 %.1f s, p90 %.1f "
      "s,"
      " max %.1f s; all outbound neighbours: %zu, p50 %.1f s\n",
      r.joins, r.leaves, r.newcomers_reached, r.newcomers_unreached_alive, r.newcomer_low_water_p50_s,
      r.newcomer_low_water_p90_s, r.newcomer_low_water_max_s, r.newcomers_out_full, r.newcomer_out_full_p50_s);
  std::printf("  simulator: %llu events, wall %.1f s, peak RSS %.0f MiB\n", static_cast<unsigned long long>(r.events),
              r.wall_s, static_cast<double>(r.max_rss_kib) / 1024.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  SimOptions base;
  // Per-node tables sized so that 100 000 engines fit in a few GiB (~60 KiB a node): 32 known
  // hosts and 16 candidates (the record store holds capacity + candidates = 48 records). The
  // plugin's default capacity comes from the memory budget (2621 hosts at 256 MiB).
  base.engine.capacity = 32;
  base.engine.probation_max = 16;
  base.settle_ms = 3 * 60 * 1000;
  base.measure_ms = 2 * 60 * 1000;
  for (int i = 1; i < argc; ++i) {
    auto next = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", what);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--capacity")) {
      base.engine.capacity = std::strtoull(next("--capacity"), nullptr, 10);
    } else if (!std::strcmp(argv[i], "--probation")) {
      base.engine.probation_max = std::strtoull(next("--probation"), nullptr, 10);
    } else if (!std::strcmp(argv[i], "--settle-min")) {
      base.settle_ms = std::strtoull(next("--settle-min"), nullptr, 10) * 60000;
    } else if (!std::strcmp(argv[i], "--measure-min")) {
      base.measure_ms = std::strtoull(next("--measure-min"), nullptr, 10) * 60000;
    } else if (!std::strcmp(argv[i], "--flood")) {
      // Before rumour mongering: every news item to every neighbour, no budget.
      base.engine.rumour.fanout = 1u << 30;
      base.engine.rumour.news_per_min = 1u << 30;
    } else if (!std::strcmp(argv[i], "--fanout")) {
      base.engine.rumour.fanout = std::strtoull(next("--fanout"), nullptr, 10);
    } else if (!std::strcmp(argv[i], "--news-per-min")) {
      base.engine.rumour.news_per_min = std::strtoull(next("--news-per-min"), nullptr, 10);
    } else if (!std::strcmp(argv[i], "--median-session-s")) {
      // Shorter sessions: more joins and departures per minute at the same N.
      base.median_session_s = std::strtod(next("--median-session-s"), nullptr);
    } else if (!std::strcmp(argv[i], "--before")) {
      base.engine.wire_version = 1;
    } else if (!std::strcmp(argv[i], "--samples-per-min")) {
      base.engine.samples_per_min = std::strtod(next("--samples-per-min"), nullptr);
    } else if (!std::strcmp(argv[i], "--sample-until")) {
      base.engine.sample_until = std::strtoull(next("--sample-until"), nullptr, 10);
    } else if (!std::strcmp(argv[i], "--fixed-seed")) {
      base.fixed_seed_node = true;
    } else if (!std::strcmp(argv[i], "--seed")) {
      base.seed = std::strtoull(next("--seed"), nullptr, 10);
    } else if (argv[i][0] >= '1' && argv[i][0] <= '9') {
      sizes.push_back(std::strtoull(argv[i], nullptr, 10));
    } else {
      std::fprintf(stderr, "unknown argument %s (see the usage at the top of overlay_sim_bench.cpp)\n", argv[i]);
      return 2;
    }
  }
  if (sizes.empty()) sizes = {10000, 100000};
  if (base.engine.capacity == 0 || base.engine.probation_max == 0 || base.measure_ms == 0 ||
      !(base.median_session_s >= 1)) {
    std::fprintf(stderr, "--capacity, --probation, --measure-min must be > 0 and --median-session-s >= 1\n");
    return 2;
  }
  std::printf(
      "butter-bench-overlay-sim: virtual time, log-normal sessions (median %.0f s, sigma %.1f), settle %llu min, "
      "measure %llu min\n",
      base.median_session_s, base.session_sigma, static_cast<unsigned long long>(base.settle_ms / 60000),
      static_cast<unsigned long long>(base.measure_ms / 60000));
  for (std::size_t n : sizes) {
    SimOptions o = base;
    o.nodes = n;
    print(o, run_overlay_sim(o));
  }
  return 0;
}
