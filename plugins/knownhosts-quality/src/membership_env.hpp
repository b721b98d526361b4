// What the membership engine (membership_engine.hpp) needs from its surroundings, and what it
// tells them. The plugin (knownhosts_plugin.cpp) implements it over the host's transport, timers,
// identity and metrics; the virtual-time simulator (sim/) over in-memory links. Nothing here
// blocks: a request's outcome comes back later through the engine's on_*_result entry points.
#pragma once
#include "peer_record.hpp"
#include "quality_cache.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace butter::knownhosts {

// A connected peer as the transport sees it.
struct PeerLink {
  std::string id;
  std::string remote_address;          // "tcp://ip:port" of its connection, or "relay://..."
  std::vector<std::string> endpoints;  // what its HELLO announced
};

// The host's connection manager: its watermarks and how many peers are connected now.
struct ConnLimits {
  std::size_t low_water = 0, high_water = 0, peers = 0;  // high_water 0: no limit
};

// The engine's counters (the plugin maps each to a /metrics counter of the same meaning).
enum class Metric {
  Exchanges,         // pex_exchanges_total
  RecordsAccepted,   // pex_records_accepted_total
  RecordsRefused,    // pex_records_refused_total
  ExchangesShed,     // pex_exchanges_shed_total
  RecordsNews,       // pex_records_news_total
  RecordsUnchecked,  // pex_records_unchecked_total
  RecordsMoved,      // pex_records_moved_total
  FirstContacts,     // pex_first_contacts_total
  NeighbourAsks,     // overlay_neighbour_asks_total
  MembershipBytes,   // knownhosts_membership_bytes_total (quality and pex messages, both ways)
  PexBytes,          // pex_bytes_total (the /butter/pex/1 part of it)
  Admitted,
  Refused,
  RefusedAddress,
  RefusedPrefix,
  Replaced,
  Evicted,
  Malformed,
  Probes,
  NewsPushed,      // pex_news_pushed_total: news records sent (rumour mongering)
  V1Fallbacks,     // knownhosts_v1_fallbacks_total: version-2 requests an old node refused, retried in version 1
  ForgingSenders,  // pex_forging_senders_total: exchanges whose sender passed on a record with a bad signature
  Count_
};

// What the bytes of the messages this node sends are spent on (the simulator's breakdown of the
// membership traffic; the plugin's /metrics keep the totals only).
enum class Traffic : std::uint8_t {
  ProbeAsk,      // /butter/knownhosts/1 request
  ProbeAnswer,   // its response
  PexFrame,      // /butter/pex/1 header and record length prefixes, both directions
  OwnRecord,     // the sender's own record (first contact, or changed)
  SampleRecord,  // records of a first contact's sample
  NewsRecord,    // news records (rumour mongering)
  Count_
};

class MembershipEnv {
 public:
  virtual ~MembershipEnv() = default;
  virtual std::uint64_t now_ms() = 0;         // a monotonic clock (the node's)
  virtual std::uint64_t unix_ms() = 0;        // wall clock: records carry it
  virtual std::vector<PeerLink> peers() = 0;  // connected now
  // The remote address of the connection to `id` ("" when not connected). An Env that can look
  // one peer up without listing them all overrides it (the simulator does: it is asked per exchange).
  virtual std::string remote_address(const std::string& id) {
    for (const auto& p : peers())
      if (p.id == id) return p.remote_address;
    return {};
  }
  virtual bool is_connected(const std::string& id) {
    for (const auto& p : peers())
      if (p.id == id) return true;
    return false;
  }
  virtual ConnLimits conn_limits() = 0;
  virtual std::vector<std::string> own_endpoints() = 0;
  // This node's quality as it would tell a peer; hosts_known is filled in by the engine.
  virtual Quality own_quality() = 0;

  // Signing this node's record: false from can_sign() when the node has no identity service.
  virtual bool can_sign() = 0;
  virtual std::array<std::uint8_t, 32> public_key() = 0;
  virtual std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>& message) = 0;
  // The signature check of a peer's record. The plugin checks Ed25519; a simulation of 10^5
  // nodes cannot afford that per record and answers from what it knows.
  virtual bool verify(const PeerRecord& rec) = 0;

  // Requests: false with `error` when it cannot be sent (the engine counts a failure at once);
  // otherwise the outcome comes back through on_probe_result / on_exchange_result.
  virtual bool send_probe(const std::string& id, const std::vector<std::uint8_t>& bytes, std::string& error) = 0;
  virtual bool send_exchange(const std::string& id, const std::vector<std::uint8_t>& bytes, bool want_neighbour,
                             std::string& error) = 0;

  // The connection manager: keep a neighbour's connection through trims and idle periods.
  virtual void protect(const std::string& id) = 0;
  virtual void unprotect(const std::string& id) = 0;
  // Done with a host asked once (a probe, an exchange with a non-neighbour): the connection that
  // request dialled may close now instead of after the host's grace period. Optional.
  virtual void release(const std::string& /*id*/) {}
  // Call the engine's exchange_timer() in `delay_ms`, replacing any earlier call not yet made.
  virtual void schedule_exchange(std::uint64_t delay_ms) = 0;

  // Optional: events to subscribers (butter.peers/1 topics), the host's address book, metrics, logs.
  virtual void publish(const char* /*topic*/, const std::string& /*id*/) {}
  virtual void add_address(const std::string& /*id*/, const std::string& /*endpoint*/) {}
  virtual void count(Metric /*m*/, std::uint64_t /*n*/ = 1) {}
  // `bytes` of what the engine is about to send (or answer) went to `kind`; called before the
  // send_* call (or before the handler returns the answer) that carries them.
  virtual void traffic(Traffic /*kind*/, std::size_t /*bytes*/) {}
  virtual void debug(const std::string& /*line*/) {}
  virtual void info(const std::string& /*line*/) {}
};

}  // namespace butter::knownhosts
