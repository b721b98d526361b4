// ConnManager: the mechanism that keeps a node's set of connected peers between a low and a high
// watermark (DESIGN.md §8, "known is not connected"). Policy — which hosts to dial and keep —
// belongs to plugins; the host only counts, protects and trims.
//
// - Protection: a plugin tags a peer it is using ("overlay" for a chosen neighbour, "pcg" for a
//   group being synced, "relay" for a circuit). A protected peer is never trimmed nor idle-closed.
//   Tags are per owner (the plugin instance) so that stopping an instance drops only its own.
//   The table is bounded: at most kMaxTagsPerPeer tags per peer and `max_protected` peers.
// - Trimming: above `high_water` connected peers, the unprotected ones that are past their grace
//   period and have no request in flight are closed, least recently active first, down to
//   `low_water` (libp2p's connection manager trims the same way). The grace is for a connection
//   about to be put to use: one that has carried nothing for a quarter of it (5 s by default) is
//   past it whatever its age. Without that, a node many others dial for one exchange each (quality
//   probes, say) stayed far above its high water: each such connection was kept for the whole
//   grace, idle (measured: 53 connections against a high water of 32 on the busiest of 300 nodes,
//   only 10 of them protected).
// Not thread-safe: it lives on the node's strand with its transport. The choice of victims is a
// pure function (select_trim_victims) so that it can be tested without sockets.
#pragma once
#include "core/node_id.hpp"
#include "transport/transport_limits.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace butter::host {

// Defaults: the node's (TransportLimits::connections_*, connection_*_ms).
struct ConnManagerOptions {
  std::size_t low_water = TransportLimits{}.connections_low_water;
  std::size_t high_water = TransportLimits{}.connections_high_water;
  // A connection younger than this is not trimmed while it carried something in the last quarter of
  // it: it may not have been put to use yet.
  std::chrono::milliseconds grace{TransportLimits{}.connection_grace_ms};
  // Unprotected connections with no frame in either direction for this long are closed (0: kept).
  std::chrono::milliseconds idle_timeout{TransportLimits{}.connection_idle_ms};
};

// What the trimmer needs to know about one connected peer.
struct TrimCandidate {
  NodeId id;
  bool is_protected = false;
  bool busy = false;  // a request in flight either way, or bytes queued
  std::chrono::steady_clock::time_point opened;
  std::chrono::steady_clock::time_point last_activity;
};

// The peers to close so that at most `low_water` remain, when more than `high_water` are connected;
// empty otherwise. Never protected, busy or in-grace ones (younger than `grace` and active within
// grace / 4); least recently active first, then the
// youngest connection, then the larger id (a total order, so the choice is deterministic).
std::vector<NodeId> select_trim_victims(const std::vector<TrimCandidate>& peers, std::size_t low_water,
                                        std::size_t high_water, std::chrono::steady_clock::time_point now,
                                        std::chrono::milliseconds grace);

class ConnManager {
 public:
  static constexpr std::size_t kMaxTagsPerPeer = 16;
  static constexpr std::size_t kMaxTagBytes = 64;

  explicit ConnManager(ConnManagerOptions options, std::size_t max_protected = 1024)
      : opts_(options), max_protected_(max_protected) {}

  const ConnManagerOptions& options() const { return opts_; }

  // Tags `peer` with `tag` on behalf of `owner`. False when a bound is hit (too many tags for the
  // peer, too many protected peers, or a tag that is empty or too long); re-tagging is a no-op.
  bool protect(const NodeId& peer, const std::string& owner, const std::string& tag);
  // False when the peer had no such tag.
  bool unprotect(const NodeId& peer, const std::string& owner, const std::string& tag);
  // Drops every tag of `owner` (its plugin instance stopped).
  void release_owner(const std::string& owner);
  bool is_protected(const NodeId& peer) const { return tags_.count(peer) > 0; }
  std::size_t protected_peers() const { return tags_.size(); }

  struct Counters {
    std::uint64_t trimmed = 0, idle_closed = 0, duplicates_closed = 0;
  };
  Counters counters;

 private:
  ConnManagerOptions opts_;
  std::size_t max_protected_;
  // peer -> set of "owner\0tag"
  std::unordered_map<NodeId, std::set<std::string>, NodeIdHash> tags_;
};

}  // namespace butter::host
