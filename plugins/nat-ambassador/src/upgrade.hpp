// The state Upgrader (upgrader.hpp, upgrade.cpp) owns: replacing relayed connections by direct
// ones (hole punching), per relayed peer, with what the punches taught about this node's own
// addresses; and the punch settings and extensions it reads.
#pragma once
#include "punch_history.hpp"

#include <butter/ext/punch.h>
#include <butter/plugin.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace butter::nat {

class Upgrader;

struct PunchConfig {
  bool enabled = true;
  std::chrono::milliseconds window{5000}, backoff{2000}, every{1000};
  unsigned attempts_max = 4;
  std::uint32_t spread_sockets = 4, spread_guesses = 4;
  // The birthday attempt's width where exactly one side's NAT varies its ports (spread_for).
  std::uint32_t hard_sockets = 256, hard_guesses = 256;
  bool spreads() const { return spread_sockets || spread_guesses || hard_sockets || hard_guesses; }
};

// The host's punch extensions.
struct PunchExtensions {
  const butter_punch_v1* v1 = nullptr;  // null: the host cannot punch
  const butter_punch_v2* v2 = nullptr;  // null: no spread (a host before butter.punch/2)
};

struct Upgrades {
  struct Upgrade {                  // one relayed peer this node tries to reach directly
    unsigned attempts = 0;          // punches tried (both roles)
    std::uint64_t seen_ms = 0;      // initiator: when the relayed peer was first seen here
    std::uint64_t next_try_ms = 0;  // backoff: not before
    bool running = false;
    std::uint64_t started_ms = 0;
    std::string last;                        // "direct", or the last failure's reason
    std::uint64_t rtt_ms = 0;                // initiator: round trip of the last Connect over the relay
    std::vector<std::string> offered;        // our addresses the running punch offered (for history)
    bool peer_varies = false;                // the peer's Connect said its NAT varies its ports
    std::uint32_t sockets = 0, guesses = 0;  // the spread of the last punch

    void begin(std::uint64_t now_ms) {
      running = true;
      started_ms = now_ms;
      ++attempts;
    }
    void succeeded() {
      running = false;
      last = "direct";
      attempts = 0;
    }
    // A failed punch: the next waits backoff_ms, doubled per attempt made, at most 60 s; the wait.
    std::uint64_t failed(const std::string& reason, std::uint64_t now_ms, std::uint64_t backoff_ms) {
      running = false;
      last = reason;
      const unsigned shift = std::min(attempts > 0 ? attempts - 1 : 0u, 5u);
      const std::uint64_t wait = std::min<std::uint64_t>(backoff_ms << shift, 60000);
      next_try_ms = now_ms + wait;
      return wait;
    }
  };
  struct Offer {  // responder: a Connect answered, waiting for the initiator's Sync
    std::vector<std::string> addresses;
    bool peer_varies = false;
    std::vector<std::string> offered;  // ours, as answered
    std::uint64_t until_ms = 0;
  };
  struct PunchCall {  // the user pointer of one butter.punch/1 call
    Upgrader* self = nullptr;
    std::string peer;
    std::uint64_t id = 0;
  };
  static constexpr std::size_t kMax = 64;

  std::map<std::string, Upgrade> by_peer;  // at most kMax, dropped when the peer goes
  std::map<std::string, Offer> offers;     // by initiator; at most kMax, expire
  std::map<std::uint64_t, std::unique_ptr<PunchCall>> calls;
  std::uint64_t next_call = 1;
  PunchHistory history{30 * 60 * 1000};  // which own addresses punched; outcomes kept 30 min

  void expire_offers(std::uint64_t now_ms) {
    for (auto it = offers.begin(); it != offers.end();)
      it = now_ms > it->second.until_ms ? offers.erase(it) : std::next(it);
  }
  // A peer that went down: one that comes back starts afresh.
  void forget(const std::string& peer) {
    by_peer.erase(peer);
    offers.erase(peer);
  }
};

struct PunchMetrics {
  explicit PunchMetrics(const butter::Metrics& m)
      : attempts(m.counter("nat_punch_attempts_total")),
        successes(m.counter("nat_punch_successes_total")),
        failures(m.counter("nat_punch_failures_total")),
        spread_withheld(m.counter("nat_punch_spread_withheld_total")),
        birthday(m.counter("nat_punch_birthday_total")),
        mapping_answers(m.counter("nat_mapping_answers_total")),
        port_mapping(m.gauge("nat_port_mapping")),
        last_success_ms(m.gauge("nat_punch_last_success_ms")) {}
  butter::Counter attempts, successes, failures;
  // Punches that would have spread but went without: no IP vouched for the peer's address.
  butter::Counter spread_withheld;
  // Punches that spread at full width: exactly one side's NAT varies its ports.
  butter::Counter birthday;
  // Mapping answers taken (what peers see our sockets' ports as), and the verdict they give:
  // 0 unknown, 1 this node's NAT keeps ports, 2 it varies them.
  butter::Counter mapping_answers;
  butter::Gauge port_mapping;
  // Failures by reason, one counter each (they sum to failures); at most 16 reasons.
  std::map<std::string, butter::Counter> failed_by_reason;
  butter::Gauge last_success_ms;  // relayed -> direct
};

}  // namespace butter::nat
