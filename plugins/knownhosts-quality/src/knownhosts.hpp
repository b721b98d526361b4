// KnownHosts: the plugin instance — the quality cache, the candidates on probation, the
// /butter/knownhosts/1 exchange that measures them, and the butter.peers/1 interface.
#pragma once
#include "exchange_ledger.hpp"
#include "exchange_message.hpp"
#include "neighbours.hpp"
#include "quality_cache.hpp"
#include "quality_message.hpp"
#include "record_store.hpp"

#include <butter/iface/peers.h>
#include <butter/iface/storage_quota.h>
#include <butter/cpp/connections.hpp>
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
  bool connected(const std::string& id);
  std::string observed_address(const std::string& id);
  AdmissionLimits admission_limits();
  void probe_sample();

  // The overlay (overlay.cpp): signed peer records, peer exchange, neighbours.
  void overlay_init();
  void overlay_start();
  void refresh_own_record();
  // What to send `receiver` in an exchange: a full sample to a first contact (`first_contact`,
  // or not yet in the ledger), else only news it has not had from us.
  std::vector<std::vector<std::uint8_t>> records_for(const std::string& receiver, std::size_t k, bool first_contact = false);
  std::size_t take_records(const Exchange& e, const std::string& from);
  void handle_exchange(const butter::Request& req, butter::Reply& reply);
  void exchange_with(const std::string& id, bool want_neighbour);
  void neighbour_tick();
  void exchange_tick();
  void schedule_exchange();
  // News arrived: exchange again within exchange_min_ (news spreads while it flows).
  void hasten_exchange();
  void lose_neighbour(const std::string& id);
  // A peer came up: while this node has no outbound neighbour (cold start, or cut off), it is a
  // contact to exchange with once (the bootstrap peer is one: the way out of a LAN).
  void overlay_peer_up(const std::string& id);
  std::string network_of(const std::string& id) const;
  std::uint64_t unix_ms() const;
  void count_membership_bytes(std::size_t n) { membership_bytes_.add(n); }
  void count_pex_bytes(std::size_t n) {
    membership_bytes_.add(n);
    pex_bytes_.add(n);
  }

  QualityCache cache_{1};
  std::map<std::string, Candidate> probation_;
  std::map<std::string, bool> in_flight_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::size_t probation_max_ = 256;
  std::uint32_t max_failures_ = 3;
  std::chrono::milliseconds refresh_{30000};
  std::chrono::milliseconds timeout_{2000};
  std::size_t probes_per_refresh_ = 1;
  std::size_t warm_target_ = 16;  // below this many members, candidates are probed at once
  std::string self_;
  butter::Timer refresh_timer_;

  // Overlay state.
  butter::Connections conns_{nullptr};
  RecordStore records_{RecordStore::Limits{}};
  Neighbours neighbours_{Neighbours::Options{}};
  PeerRecord own_record_;
  std::vector<std::string> own_endpoints_;
  bool have_own_record_ = false;
  std::chrono::milliseconds exchange_min_{1000}, exchange_max_{60000}, exchange_period_{1000};
  std::uint64_t exchange_due_ms_ = 0;  // node ms when the exchange timer fires
  std::size_t exchange_size_ = 8;
  std::chrono::milliseconds neighbour_period_{1000};
  ExchangeLedger ledger_;
  std::vector<std::string> contacts_;  // at most kMaxContacts, oldest first
  static constexpr std::size_t kMaxContacts = 16;
  CheckBudget check_budget_;
  butter::Timer neighbour_timer_, exchange_timer_;
  butter::Counter exchanges_ = metrics().counter("pex_exchanges_total");
  butter::Counter records_accepted_ = metrics().counter("pex_records_accepted_total");
  butter::Counter records_refused_ = metrics().counter("pex_records_refused_total");
  butter::Counter exchanges_shed_ = metrics().counter("pex_exchanges_shed_total");
  butter::Counter records_news_ = metrics().counter("pex_records_news_total");
  butter::Counter records_unchecked_ = metrics().counter("pex_records_unchecked_total");
  butter::Counter records_moved_ = metrics().counter("pex_records_moved_total");
  butter::Counter first_contacts_ = metrics().counter("pex_first_contacts_total");
  butter::Counter neighbour_asks_ = metrics().counter("overlay_neighbour_asks_total");
  butter::Counter membership_bytes_ = metrics().counter("knownhosts_membership_bytes_total");
  butter::Counter pex_bytes_ = metrics().counter("pex_bytes_total");  // the /butter/pex/1 part of it
  butter::Gauge neighbours_out_ = metrics().gauge("overlay_neighbours_out");
  butter::Gauge neighbours_in_ = metrics().gauge("overlay_neighbours_in");
  butter::Counter admitted_ = metrics().counter("knownhosts_admitted_total");
  butter::Counter refused_ = metrics().counter("knownhosts_refused_total");
  butter::Counter refused_address_ = metrics().counter("knownhosts_refused_address_total");
  butter::Counter refused_prefix_ = metrics().counter("knownhosts_refused_prefix_total");
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
