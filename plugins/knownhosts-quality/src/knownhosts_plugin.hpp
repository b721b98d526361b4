// KnownHosts: the plugin instance, a thin adapter over the MembershipEngine (membership_engine.hpp):
// it reads the manifest, turns the host's timers, connection events and requests into calls of
// the engine, carries out what the engine asks (requests, protection, events) over the host, and
// serves butter.peers/1, /knownhosts and the metrics.
#pragma once
#include "membership_engine.hpp"
#include "metric_names.hpp"

#include <butter/iface/peers.h>
#include <butter/iface/storage_quota.h>
#include <butter/cpp/connections.hpp>
#include <butter/plugin.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace butter::knownhosts {

// The plugin's own settings beside the engine's (MembershipConfig). Their initialisers are the
// defaults of the manifest keys of the same names: the schema (plugin_entry.cpp) reads them.
struct PluginSettings {
  std::int64_t capacity = 0;                // hosts kept; 0 = memory_share of the memory budget
  double memory_share = 0.01;               // of the node's memory budget, for the cache
  std::int64_t neighbours = 0;              // chosen; 0 = the host's connections_low_water
  std::int64_t max_inbound_neighbours = 0;  // accepted; 0 = derived from the high water
  std::uint64_t refresh_ms = 30000;         // period of quality refresh
  std::uint64_t timeout_ms = 2000;          // deadline of a quality request
  std::uint64_t neighbour_ms = 1000;        // period of the neighbour check
};

class KnownHosts : public butter::Plugin {
 public:
  using Plugin::Plugin;
  ~KnownHosts() override;

  void init() override;
  void start() override;
  void stop() override;

  // butter.peers/1, called through peers_interface.cpp.
  butter_status add_candidate(const std::string& id, std::vector<std::string> endpoints, std::string_view source);
  butter_status remove(const std::string& id);
  const QualityCache& cache() const { return engine_->cache(); }
  std::vector<const HostEntry*> sample(std::size_t k) { return engine_->sample(k); }
  // Fills a C record for `h` (strings point into `h` and `eps`).
  butter_peer_record record(const HostEntry& h, std::vector<butter_str>& eps) const;

 private:
  class HostEnv;  // MembershipEnv over this plugin's host (knownhosts_env.cpp)
  MembershipConfig read_config();
  AdmissionLimits admission_limits();
  void read_overlay_config(MembershipConfig& c);
  std::string report_json() const;
  void update_gauges();

  std::unique_ptr<HostEnv> env_;
  std::unique_ptr<MembershipEngine> engine_;
  std::chrono::milliseconds refresh_{PluginSettings{}.refresh_ms};
  std::chrono::milliseconds timeout_{PluginSettings{}.timeout_ms};
  std::chrono::milliseconds neighbour_period_{PluginSettings{}.neighbour_ms};
  butter::Connections conns_{nullptr};
  butter::Timer refresh_timer_, neighbour_timer_, exchange_timer_;
  template <std::size_t... I>
  std::array<butter::Counter, sizeof...(I)> make_counters(std::index_sequence<I...>) {
    return {metrics().counter(kMetricNames[I].name)...};
  }
  std::array<butter::Counter, kMetricNames.size()> counters_ =
      make_counters(std::make_index_sequence<kMetricNames.size()>{});
  butter::Gauge neighbours_out_ = metrics().gauge("overlay_neighbours_out");
  butter::Gauge neighbours_in_ = metrics().gauge("overlay_neighbours_in");
  butter::Gauge hosts_ = metrics().gauge("knownhosts_hosts");
  butter::Gauge candidates_ = metrics().gauge("knownhosts_candidates");
  butter::Gauge capacity_ = metrics().gauge("knownhosts_capacity");
};

// The static butter.peers/1 vtable this plugin serves.
const butter_peers_v1* peers_vtable();

}  // namespace butter::knownhosts
