// Neighbours: the overlay's active set, as pure logic (the plugin does the messaging).
//
// A node keeps `want_out` neighbours it chose (outbound) and accepts up to `max_in` that chose it
// (inbound); both ends protect the connection from the host's trimming (butter.connections/1),
// so the active set stays between the host's watermarks. A candidate that refused us, or that we
// could not reach, is left alone for a backoff period; at most `max_dialing` candidates are being
// asked at once, so a node that knows thousands of hosts dials a handful. Among candidates (given
// in the cache's quality-diverse order) those from a network (/24, or the relay ambassador) that
// holds fewer of our neighbours go first: diversity of networks, not only of quality classes.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace butter::knownhosts {

class Neighbours {
 public:
  struct Options {
    std::size_t want_out = 8;
    std::size_t max_in = 24;
    std::size_t max_dialing = 2;
    std::uint64_t refused_backoff_ms = 60000;
    std::uint64_t failed_backoff_ms = 15000;
    std::size_t max_backoff_entries = 4096;
  };
  struct Candidate {
    std::string id;
    std::string network;  // network_key() of its first usable endpoint
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
  // Another node asks to be our neighbour: true when it is (now or already).
  bool accept_inbound(const std::string& id, const std::string& network);
  // Its connection went down: true when it was a neighbour (the caller unprotects it).
  bool lost(const std::string& id);

  bool is_neighbour(const std::string& id) const { return out_.count(id) || in_.count(id); }
  bool is_dialing(const std::string& id) const { return dialing_.count(id) > 0; }
  std::size_t out_count() const { return out_.size(); }
  std::size_t in_count() const { return in_.size(); }
  std::vector<std::string> all() const;

  // "tcp://198.18.0.12:7000" -> "198.18.0", "tcp://[fd00::1]:7" -> first 4 groups, "relay://A@..."
  // -> "relay:A"; "" when unknown.
  static std::string network_key(const std::string& endpoint);

 private:
  bool backed_off(const std::string& id, std::uint64_t now_ms) const;
  void backoff(const std::string& id, std::uint64_t until_ms);

  Options opts_;
  std::map<std::string, std::string> out_, in_;  // id -> network
  std::set<std::string> dialing_;
  std::map<std::string, std::uint64_t> backoff_until_;
};

}  // namespace butter::knownhosts
