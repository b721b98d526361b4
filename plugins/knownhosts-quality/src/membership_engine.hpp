// MembershipEngine: the known-host cache and the overlay's membership policy, without I/O.
//
// It owns the quality cache and the candidates on probation (knownhosts_plugin.cpp's probing: who to ask
// for its quality, admission, eviction after failures), this node's signed record, the record
// store, the exchange ledger and the neighbour set (the peer exchange of /butter/pex/1: when to
// exchange with whom, what to send, what to take, which neighbours to dial). Time, connections,
// requests and their outcomes come in through its entry points and the MembershipEnv; what to
// send, dial, protect and publish goes out through the same Env. The plugin (knownhosts_plugin.cpp) and
// the virtual-time simulator (sim/overlay_sim.cpp) drive this same class.
#pragma once
#include "check_budget.hpp"
#include "exchange_ledger.hpp"
#include "exchange_message.hpp"
#include "membership_env.hpp"
#include "neighbours.hpp"
#include "peer_versions.hpp"
#include "quality_cache.hpp"
#include "record_store.hpp"
#include "rumour.hpp"

#include <butter/cpp/token_bucket.hpp>
#include <butter/status.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace butter::knownhosts {

struct MembershipConfig {
  std::size_t capacity = 2621;  // known hosts (the plugin sizes it from the memory budget)
  AdmissionLimits admission;
  std::size_t probation_max = 256;
  std::uint32_t max_failures = 3;
  std::size_t probes_per_refresh = 1;
  std::size_t warm_target = 16;  // below this many members, candidates are probed at once
  Neighbours::Options neighbours;
  std::uint64_t exchange_min_ms = 1000, exchange_max_ms = 60000;
  std::size_t exchange_size = 8;
  std::uint64_t record_max_age_ms = 2 * 3600 * 1000;
  std::uint64_t news_ttl_ms = 30000;
  double record_checks_per_s = 2.0;
  RumourOptions rumour;
  // The wire form of what this node starts (compact version 2, or 1 as before issue 15; an answer
  // always takes its request's version). A peer that refuses version 2 as an old node does is
  // talked to in version 1 (PeerVersions). In version 2 samples are pulled: a node sends a peer a
  // sample of its records only when the peer's request asks for one ("want a sample"), at most one
  // per peer per sample_interval_ms; it asks in every exchange while its cache holds fewer than
  // sample_until hosts (a newcomer, or a node cut off), and otherwise when its sample budget
  // (samples_per_min, burst one) allows — enough to keep a cache's records fresh (records expire
  // after record_max_age_ms), not a full sample on every new link in both directions. 0.05 (8
  // records every 20 min) is about what a node took in from first contacts at steady state
  // before (0.5 sample records a minute, both ends, at 10 000 nodes); 0.2 cost 370 B/min.
  std::uint8_t wire_version = 2;
  std::size_t sample_until = 32;
  double samples_per_min = 0.05;
  std::uint64_t sample_interval_ms = 60000;
};

struct Candidate {
  std::vector<std::string> endpoints;
  std::uint32_t failures = 0;
  std::uint64_t since_ms = 0;
};

// The answer to a request a peer made: ok with bytes, or an error status with why.
struct EngineReply {
  butter_status status = BUTTER_OK;
  std::string error;
  std::vector<std::uint8_t> bytes;
};

class MembershipEngine {
 public:
  // `self`: this node's id (64 hex digits).
  MembershipEngine(MembershipEnv& env, std::string self, MembershipConfig cfg, std::uint64_t seed);

  // Makes this node's record, arms the exchange timer and looks for neighbours.
  void start();

  // Connections: a HELLO arrived (its endpoints make it a candidate), or a connection closed.
  // `hello_endpoints`: what its HELLO announced (null when the transport does not list it).
  void on_peer_up(const std::string& id, const std::vector<std::string>* hello_endpoints);
  void on_peer_down(const std::string& id);

  // butter.peers/1.
  butter_status add_candidate(const std::string& id, std::vector<std::string> endpoints, std::string_view source);
  butter_status remove(const std::string& id);

  // A warm start: a signed record this node knew before (a saved cache, or a simulation's
  // steady state), admitted without a signature check and without making it news.
  void restore(const PeerRecord& rec);

  // Timers: refresh (every refresh_ms), neighbour check (every neighbour_ms), exchange (when the
  // Env was asked to schedule it).
  void refresh();
  void neighbour_tick();
  void exchange_timer();

  // Requests from peers (`observed`: the remote address of its connection, "" when unknown).
  EngineReply handle_quality_request(const std::string& from, const std::uint8_t* data, std::size_t len,
                                     const std::string& observed);
  EngineReply handle_exchange(const std::string& from, const std::uint8_t* data, std::size_t len);
  // Outcomes of our requests: `ok` with the answer's bytes, or not with why.
  void on_probe_result(const std::string& id, bool ok, const std::uint8_t* data, std::size_t len,
                       const std::string& error);
  void on_exchange_result(const std::string& id, bool want_neighbour, bool ok, const std::uint8_t* data,
                          std::size_t len, const std::string& error);

  const MembershipConfig& config() const { return cfg_; }
  const QualityCache& cache() const { return cache_; }
  const std::map<std::string, Candidate>& probation() const { return probation_; }
  const RecordStore& records() const { return records_; }
  const Neighbours& neighbours() const { return neighbours_; }
  const ExchangeLedger& ledger() const { return ledger_; }
  const PeerVersions& peer_versions() const { return versions_; }
  // The version this node starts exchanges and probes with `id` in now.
  std::uint8_t wire_version_for(const std::string& id) const;
  std::vector<const HostEntry*> sample(std::size_t k) { return cache_.sample(k, rng_); }
  std::uint64_t exchange_period_ms() const { return exchange_period_ms_; }
  const PeerRecord* own_record() const { return have_own_record_ ? &own_record_ : nullptr; }

 private:
  // Quality probing and the cache (membership_engine.cpp).
  Quality own_quality();
  void probe(const std::string& id);
  void take_probe_result(const std::string& id, bool ok, const std::uint8_t* data, std::size_t len,
                         const std::string& error);
  void release_if_one_off(const std::string& id);
  void on_answer(const std::string& id, const Quality& q);
  void on_failure(const std::string& id, const std::string& why);
  void admit(const HostEntry& h);
  void evict(const std::string& id, const std::string& why);
  void probe_sample();
  bool connected(const std::string& id);
  std::string observed_address(const std::string& id);

  // The peer exchange and neighbours (membership_exchange.cpp).
  void refresh_own_record();
  // `outbound`: an exchange this node starts with a neighbour it chose — the only kind that
  // carries news (and spends the news budget and a news item's fan-out); a reply to a peer that
  // asked carries our changed record, or a full sample on a first contact, but no news (a peer
  // polling us must not use up what our chosen neighbours are owed).
  // `sample`: IfFirst (version 1: a first contact gets a sample), Yes (it asked for one), No.
  enum class Sample { IfFirst, Yes, No };
  std::vector<std::vector<std::uint8_t>> records_for(const std::string& receiver, std::size_t k, bool outbound,
                                                     Sample sample, bool first_contact, std::uint8_t version);
  bool want_sample();
  std::size_t take_records(const Exchange& e, const std::string& from);
  void exchange_with(const std::string& id, bool want_neighbour);
  // An old node refused our version-2 exchange: remember it, and retry in version 1 once its
  // serve interval is over (at an exchange tick). False when it was marked already (no retry:
  // nothing an honest peer says to a version-1 request makes us retry it forever).
  bool fall_back_to_v1(const std::string& id, bool want_neighbour);
  bool retry_in_v1();  // a due retry made at this tick
  void give_back_pushes(const std::string& id);
  void count_frame(const Exchange& e, std::size_t encoded);  // Traffic::PexFrame of an encoded exchange
  void exchange_tick();
  void schedule_exchange();
  void hasten_exchange();
  void lose_neighbour(const std::string& id);
  std::string network_of(const std::string& id) const;
  void count_membership_bytes(std::size_t n) { env_.count(Metric::MembershipBytes, n); }
  void count_pex_bytes(std::size_t n) {
    env_.count(Metric::MembershipBytes, n);
    env_.count(Metric::PexBytes, n);
  }

  MembershipEnv& env_;
  MembershipConfig cfg_;
  std::mt19937_64 rng_;
  QualityCache cache_;
  std::map<std::string, Candidate> probation_;
  std::map<std::string, bool> in_flight_;
  std::string self_;

  RecordStore records_;
  Neighbours neighbours_;
  ExchangeLedger ledger_;
  // Signature checks of forwarded records: whatever the peers send, this node spends at most
  // record_checks_per_s checks a second on records of third parties, one sender a share of them.
  CheckBudget check_budget_;
  SplitNewsBudget news_budget_;
  butter::TokenBucket sample_budget_;  // samples this node asks for once its cache is fed (want_sample)
  // The news values counted as pushed in the exchange in flight to each peer (one at a time per
  // peer; an entry goes when its result comes): a failed exchange gives them back their fan-out.
  std::map<std::string, std::vector<std::uint64_t>> pushed_in_flight_;
  PeerRecord own_record_;
  std::vector<std::string> own_endpoints_;
  bool have_own_record_ = false;
  std::uint64_t exchange_period_ms_;
  std::uint64_t exchange_due_ms_ = 0;  // node ms when the exchange timer fires
  std::vector<std::string> contacts_;  // at most kMaxContacts, oldest first
  static constexpr std::size_t kMaxContacts = 16;
  PeerVersions versions_;  // peers that refused version 2 (old nodes)
  struct V1Retry {
    std::string id;
    bool want_neighbour = false;  // it was a neighbour ask (the peer stays "dialling" until the retry)
    std::uint64_t due_ms = 0;     // node ms; not before the old node serves this peer again
  };
  std::vector<V1Retry> v1_retries_;  // at most kMaxContacts, oldest first
};

}  // namespace butter::knownhosts
