// KnownHosts: the plugin instance — the quality cache, the candidates on probation, the
// /butter/knownhosts/1 exchange that measures them, and the butter.peers/1 interface.
#pragma once
#include "quality_cache.hpp"
#include "quality_message.hpp"

#include <butter/iface/peers.h>
#include <butter/iface/storage_quota.h>
#include <butter/plugin.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace butter::knownhosts {

struct Candidate {
  std::vector<std::string> endpoints;
  std::uint32_t failures = 0;
  std::uint64_t since_ms = 0;
};

class KnownHosts : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override;
  void start() override;
  void stop() override;

  // butter.peers/1, called through peers_interface.cpp.
  butter_status add_candidate(const std::string& id, std::vector<std::string> endpoints, std::string_view source);
  butter_status remove(const std::string& id);
  const QualityCache& cache() const { return cache_; }
  std::vector<const HostEntry*> sample(std::size_t k) { return cache_.sample(k, rng_); }
  // Fills a C record for `h` (strings point into `h` and `eps`).
  butter_peer_record record(const HostEntry& h, std::vector<butter_str>& eps) const;

 private:
  Quality own_quality() const;
  void probe(const std::string& id);
  void on_answer(const std::string& id, const Quality& q);
  void on_failure(const std::string& id, const std::string& why);
  void admit(const HostEntry& h);
  void evict(const std::string& id, const char* why);
  void refresh();
  void handle_request(const butter::Request& req, butter::Reply& reply);
  std::string report_json() const;
  void publish(const char* topic, const std::string& id);
  void update_gauges();

  QualityCache cache_{1};
  std::map<std::string, Candidate> probation_;
  std::map<std::string, bool> in_flight_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::size_t probation_max_ = 256;
  std::uint32_t max_failures_ = 3;
  std::chrono::milliseconds refresh_{10000};
  std::chrono::milliseconds timeout_{2000};
  std::string self_;
  butter::Timer refresh_timer_;
  butter::Counter admitted_ = metrics().counter("knownhosts_admitted_total");
  butter::Counter refused_ = metrics().counter("knownhosts_refused_total");
  butter::Counter replaced_ = metrics().counter("knownhosts_replaced_total");
  butter::Counter evicted_ = metrics().counter("knownhosts_evicted_total");
  butter::Counter malformed_ = metrics().counter("knownhosts_malformed_total");
  butter::Counter probes_ = metrics().counter("knownhosts_probes_total");
  butter::Gauge hosts_ = metrics().gauge("knownhosts_hosts");
  butter::Gauge candidates_ = metrics().gauge("knownhosts_candidates");
  butter::Gauge capacity_ = metrics().gauge("knownhosts_capacity");
};

// The static butter.peers/1 vtable this plugin serves.
const butter_peers_v1* peers_vtable();

}  // namespace butter::knownhosts
