// The state AmbassadorChoice (ambassador_choice.hpp, ambassador.cpp) owns: a private node's own
// ambassador (the one it is registered with, the one it is registering with, the ones it keeps
// away from for a while) and its moves.
#pragma once
#include <butter/plugin.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace butter::nat {

struct MyAmbassador {
  std::string id;              // node id; empty: none
  std::string relay_endpoint;  // this node's relay:// endpoint through it; empty with no ambassador
  std::string registering;     // the candidate a Register is out to; empty: none
  std::uint64_t moves = 0;     // ambassadors replaced after a failure

  // Whether `candidate` is kept away until after now_ms (a lapsed exclusion is forgotten).
  bool excluded(const std::string& candidate, std::uint64_t now_ms) {
    auto ex = excluded_.find(candidate);
    if (ex == excluded_.end()) return false;
    if (ex->second > now_ms) return true;
    excluded_.erase(ex);
    return false;
  }
  void exclude(const std::string& candidate, std::uint64_t until_ms) { excluded_[candidate] = until_ms; }
  // The ambassador failed: kept away until `until_ms`, and the next one counts as a move.
  void failed(std::uint64_t until_ms) {
    exclude(id, until_ms);
    move_pending_ = true;
  }
  // Registered with `amb`, reachable at `endpoint`; true when that is a move.
  bool adopt(const std::string& amb, std::string endpoint) {
    const bool moved = move_pending_;
    move_pending_ = false;
    id = amb;
    relay_endpoint = std::move(endpoint);
    if (moved) ++moves;
    return moved;
  }
  void clear() {
    id.clear();
    relay_endpoint.clear();
  }

 private:
  std::map<std::string, std::uint64_t> excluded_;  // id -> until ms
  bool move_pending_ = false;                      // the last ambassador failed: the next one counts as a move
};

struct AmbassadorMetrics {
  explicit AmbassadorMetrics(const butter::Metrics& m)
      : moves(m.counter("nat_ambassador_moves_total")), acquired(m.counter("nat_ambassadors_acquired_total")) {}
  butter::Counter moves;
  butter::Counter acquired;  // registrations, as a client
};

}  // namespace butter::nat
