// OverlaySim: a virtual-time, event-driven simulation of the overlay's membership, driving the
// plugin's own MembershipEngine (one per node) over in-memory links. It models what the host
// does around the engine: connections (a dial costs two round trips of handshake; one
// connection per pair), the connection manager (above high_water, unprotected connections past
// their grace period are trimmed least recently active first down to low_water; unprotected
// connections idle for idle_ms close), request timeouts, and churn: joins as a Poisson process
// bootstrapping to a random live node (or one fixed seed node), log-normal session lengths
// (median 2 h: half of new nodes leave within 2 hours; sigma 2: one in ten stays a day or more),
// departures closing every connection of the node at once.
//
// The start is a network that has been running: N nodes alive with the residual session lengths
// of a stationary population (length-biased), each knowing `warm_records` random others' records
// (MembershipEngine::restore). Then it runs `settle_ms` (not measured) and `measure_ms`
// (membership bytes, newcomers' time to the low watermark), and reports the graph at the end.
// Signatures are not computed (Env::verify answers true, sign() a zero signature): the byte
// counts use the real encoders, so the sizes are those of real messages.
#pragma once
#include "membership_engine.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace butter::knownhosts::sim {

struct SimOptions {
  std::size_t nodes = 1000;  // live at the start (and, on average, throughout)
  std::uint64_t seed = 1;
  std::uint64_t settle_ms = 10 * 60 * 1000;
  std::uint64_t measure_ms = 10 * 60 * 1000;
  double median_session_s = 7200;                           // half of new nodes leave within this
  double session_sigma = 2.0;                               // of the log-normal
  bool fixed_seed_node = false;                             // every newcomer bootstraps to node 0 (which never leaves)
  std::size_t warm_records = 32;                            // records each node of the initial network knows
  std::uint64_t latency_min_ms = 10, latency_max_ms = 100;  // one way, uniform
  std::size_t low_water = 8, high_water = 32;               // the host's defaults
  std::uint64_t grace_ms = 20000, idle_ms = 30000, timeout_ms = 2000;
  std::uint64_t refresh_ms = 30000, neighbour_ms = 1000;
  MembershipConfig engine;  // capacity etc.: see the bench for what it sets
};

struct Distribution {
  std::size_t min = 0, p1 = 0, p50 = 0, p99 = 0, max = 0;
  std::vector<std::size_t> histogram;  // histogram[d] = nodes with in-degree d
};

constexpr std::size_t kTrafficKinds = static_cast<std::size_t>(Traffic::Count_);
const char* traffic_name(Traffic t);

// Membership bytes by what they carry (MembershipEnv::traffic), counted as the totals are: at the
// sender when sent and at the receiver when delivered.
struct TrafficTally {
  std::array<std::uint64_t, kTrafficKinds> bytes{}, items{};  // items: messages, or records
  void add(const TrafficTally& o) {
    for (std::size_t k = 0; k < kTrafficKinds; ++k) bytes[k] += o.bytes[k], items[k] += o.items[k];
  }
};

struct SimResult {
  std::size_t live = 0;
  std::size_t largest_component = 0;        // over the overlay's neighbour links, live nodes
  std::size_t largest_component_conns = 0;  // over all connections
  Distribution in_degree;                   // inbound neighbours per live node
  Distribution out_degree;
  double membership_bytes_per_node_min = 0;  // sent + received, per live node, in the measure window
  double pex_bytes_per_node_min = 0;
  double news_records_per_node_min = 0;       // news records received, per node
  TrafficTally traffic;                       // the measure window's, all nodes (divide by node-minutes)
  double node_minutes = 0;                    // live nodes x measured minutes
  std::size_t joins = 0, leaves = 0;          // in the measure window
  std::size_t newcomers_reached = 0;          // of the joins, how many reached low_water connections
  std::size_t newcomers_unreached_alive = 0;  // of the joins, alive at the end and never at low_water
  double newcomer_low_water_p50_s = 0, newcomer_low_water_p90_s = 0, newcomer_low_water_max_s = 0;
  std::size_t newcomers_out_full = 0;  // reached want_out outbound neighbours
  double newcomer_out_full_p50_s = 0;
  std::uint64_t events = 0;
  double wall_s = 0;
  std::size_t max_rss_kib = 0;
};

SimResult run_overlay_sim(const SimOptions& o);

// "min 3, p1 4, p50 8, ..." and the histogram, for printing.
std::string describe(const Distribution& d);

}  // namespace butter::knownhosts::sim
