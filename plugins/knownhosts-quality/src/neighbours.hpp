// Neighbours: the overlay's active set, as pure logic (the plugin does the messaging).
//
// A node keeps `want_out` neighbours it chose (outbound) and accepts up to `max_in` that chose it
// (inbound); both ends protect the connection from the host's trimming (butter.connections/1),
// so the active set stays between the host's watermarks. A candidate that refused us, or that we
// could not reach, is left alone for a backoff period; at most `max_dialing` candidates are being
// asked at once, so a node that knows thousands of hosts dials a handful. Among candidates (given
// in the cache's quality-diverse order) those from a network (/24, or the relay ambassador) that
// holds fewer of our neighbours go first: diversity of networks, not only of quality classes.
//
// A candidate we could not reach is backed off for failed_backoff_ms, doubled with each failure in
// a row up to max_failed_backoff_ms (the table outlives the host's eviction, so a record that
// brings it back does not reset it). A failure to reach a candidate that never answered this node
// (known only from a signed record, which names any endpoint its signer likes) also backs off,
// the same way, the other never-answered candidates of its network: many made-up ids naming one
// victim's address do not make this node dial it faster than one id would.
//
// Inbound slots are protected from trimming, so they are bounded per network too: by the address
// and prefix the asker's connection comes from (sender_network.hpp: what it cannot choose), at most
// `max_in_per_address` and `max_in_per_prefix`. One address opening max_in connections with fresh
// ids would otherwise hold every slot, and honest NATed nodes, which can only dial out, would find
// none. When the slots are full, an asker from a network that holds none of them takes the place of
// the newest one of the most represented network (if it holds two or more). Loopback (and an
// unknown address) is not bounded, as in the cache.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace butter::knownhosts {

class Neighbours {
 public:
  struct Options {
    std::size_t want_out = 8;
    std::size_t max_in = 24;
    std::size_t max_in_per_address = 2;  // inbound neighbours from one address (IPv6: one /64)
    std::size_t max_in_per_prefix = 4;   // and from one /24 (IPv6: /48)
    std::size_t max_dialing = 2;
    std::uint64_t refused_backoff_ms = 60000;
    std::uint64_t failed_backoff_ms = 15000;
    std::uint64_t max_failed_backoff_ms = 15 * 60 * 1000;  // failures in a row double it up to this
    std::size_t max_backoff_entries = 4096;                // per table (ids; networks of never-answered candidates)
  };
  struct Candidate {
    std::string id;
    std::string network;   // network_key() of its first usable endpoint
    bool answered = true;  // it answered this node before (false: known only from a record)
  };

  explicit Neighbours(Options o) : opts_(o) {}
  const Options& options() const { return opts_; }
  void set_options(Options o) { opts_ = o; }

  // Candidates to ask now (marks them dialling), at most what is missing and max_dialing allow.
  std::vector<std::string> to_dial(const std::vector<Candidate>& candidates, std::uint64_t now_ms);
  // Outcome of asking: accepted (an outbound neighbour), refused (backoff), failed (backoff).
  // False from accepted() when the slot is no longer wanted (the caller then lets it go).
  bool accepted(const std::string& id, const std::string& network);
  void refused(const std::string& id, std::uint64_t now_ms);
  void failed(const std::string& id, std::uint64_t now_ms);
  // It was busy (asked too soon after our last exchange): not a candidate again before `until_ms`.
  void busy(const std::string& id, std::uint64_t until_ms);
  // Another node asks to be our neighbour: accepted when it is (now or already). `address` and
  // `prefix`: where its connection comes from ("" when exempt or unknown: not bounded).
  struct Inbound {
    bool accepted = false;
    std::string replaced;  // an inbound neighbour let go to make room (the caller unprotects it)
    explicit operator bool() const { return accepted; }
  };
  Inbound accept_inbound(const std::string& id, const std::string& network, const std::string& address = {},
                         const std::string& prefix = {});
  // Its connection went down: true when it was a neighbour (the caller unprotects it).
  bool lost(const std::string& id);

  bool is_neighbour(const std::string& id) const { return out_.count(id) || in_.count(id); }
  bool is_outbound(const std::string& id) const { return out_.count(id) > 0; }
  bool is_dialing(const std::string& id) const { return dialing_.count(id) > 0; }
  // Node ms until which `id` is not asked again (0: it may be asked now or never failed).
  std::uint64_t backoff_until(const std::string& id) const;
  std::size_t out_count() const { return out_.size(); }
  std::size_t in_count() const { return in_.size(); }
  std::vector<std::string> all() const;

  // "tcp://198.18.0.12:7000" -> "198.18.0", "tcp://[fd00::1]:7" -> first 4 groups, "relay://A@..."
  // -> "relay:A"; "" when unknown.
  static std::string network_key(const std::string& endpoint);

 private:
  struct Backoff {
    std::uint64_t until_ms = 0;
    std::uint32_t failures = 0;  // failed in a row (what doubles the next backoff)
  };
  using BackoffTable = std::map<std::string, Backoff>;
  struct Dial {
    std::string network;
    bool answered = true;
  };
  bool backed_off(const std::string& id, std::uint64_t now_ms) const;
  void backoff(const std::string& id, std::uint64_t until_ms);  // not a failure: its count restarts
  void count_failure(BackoffTable& table, const std::string& key, std::uint64_t now_ms);
  Backoff& entry(BackoffTable& table, const std::string& key);  // bounded: the entry ending first goes
  void answered(const std::string& id);  // it answered (accepted or refused): its network is reachable

  struct InboundFrom {
    std::string address, prefix;
    std::uint64_t order = 0;  // when accepted, in accept_inbound calls: the newest goes first
  };
  // The network an inbound neighbour counts under for replacement: its prefix, else its address.
  static const std::string& group_of(const InboundFrom& f) { return f.prefix.empty() ? f.address : f.prefix; }

  Options opts_;
  std::map<std::string, std::string> out_, in_;  // id -> network
  std::map<std::string, InboundFrom> in_from_;   // inbound id -> where its connection comes from
  std::uint64_t in_order_ = 0;
  std::map<std::string, Dial> dialing_;  // id -> what it was dialled as
  BackoffTable backoff_;                 // by id
  BackoffTable network_backoff_;         // by network, for candidates that never answered
};

}  // namespace butter::knownhosts
