// AddressBook: where this node may dial other nodes, bounded whatever peers send.
//
// Two tables, both least-recently-used with a fixed capacity, so that neither a flood of
// endpoints named by peers (knownhosts answers, plugin add_address calls) nor a churn of fresh
// node ids saying HELLO can grow memory or make upkeep slower than O(1) per operation:
// - by node id: at most kMaxEndpointsPerNode endpoint URIs each, in the order they are tried;
// - by URI: which node answered at a tcp:// endpoint (so that a send to the URI reuses an open
//   connection to that node).
// Reading an entry (route) and learning it again both count as use. A full table forgets its
// least recently used entry; a node that matters is dialled again through a fresher source
// (discovery, peer exchange, its own HELLO).
// Not thread-safe: it lives on the node's strand with its transport.
#pragma once
#include "core/node_id.hpp"

#include <butter/cpp/bounded_lru.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace butter::host {

class AddressBook {
 public:
  static constexpr std::size_t kMaxEndpointsPerNode = 8;
  // `max_nodes` bounds the by-id table; the by-URI table holds up to twice as many URIs.
  explicit AddressBook(std::size_t max_nodes) : by_id_(max_nodes), by_uri_(2 * max_nodes) {}

  // Adds endpoints for `id`. `front`: they go first, in the given order (a fresh, preferred
  // source); otherwise after the known ones. Duplicates are kept once; beyond
  // kMaxEndpointsPerNode the last are dropped (for `front`) or the newest replaces the last one.
  void add(const NodeId& id, const std::vector<std::string>& endpoints, bool front);
  // The endpoints to try for `id`, in order (empty when unknown).
  std::vector<std::string> endpoints(const NodeId& id);
  // Remembers that `id` answered at `uri`, and looks that up.
  void learn_uri(const std::string& uri, const NodeId& id) {
    by_uri_.get_or_insert(uri, [] { return NodeId{}; }) = id;
  }
  std::optional<NodeId> who_is(const std::string& uri) {
    if (auto* id = by_uri_.find(uri)) return *id;
    return std::nullopt;
  }

  std::size_t nodes() const { return by_id_.size(); }
  std::size_t uris() const { return by_uri_.size(); }
  std::uint64_t evicted() const { return by_id_.evicted() + by_uri_.evicted(); }

 private:
  BoundedLru<NodeId, std::vector<std::string>, NodeIdHash> by_id_;
  BoundedLru<std::string, NodeId> by_uri_;
};

}  // namespace butter::host
