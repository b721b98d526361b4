// ConnectionTable: who this node is connected to or dialling — every open connection by id, the
// up ones by peer, the dials not yet up by URI and by the node they are expected to reach, and
// who waits for a connection's HELLO (connect(), a punch). It keeps these indexes consistent as
// connections come up and close, and picks the connection both sides of a pair send on.
#pragma once
#include "transport/connection.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace butter::host {

class ConnectionTable {
 public:
  using ConnPtr = std::shared_ptr<Connection>;
  // Called once the connection is up (with its peer) or closed before (with the error).
  using Waiter = std::function<void(Error, const NodeId&)>;
  using PeerIndex = std::unordered_map<NodeId, std::vector<std::uint64_t>, NodeIdHash>;

  explicit ConnectionTable(const NodeId& self) : self_(self) {}

  // The id of the next connection (ids ascend: a smaller id is an older connection).
  std::uint64_t next_id() { return next_id_++; }
  // A new connection, not up yet; an outbound one with a URI is a dial to it.
  void add(ConnPtr c);
  // The dial `c` will reach node `id` (it is the one to use for `id` until up).
  void expect(const NodeId& id, const Connection& c) { dialing_id_[id] = c.id(); }
  // `c` received its peer's HELLO, or closed: it is no longer a dial in progress.
  void dial_ended(const Connection& c);
  // `c` is up with `peer`: true when it is the first connection to that peer.
  bool add_up(const Connection& c, const NodeId& peer);
  // `c` closed: forgets it; true when it was the last up connection to its peer.
  bool remove(const Connection& c);
  // Forgets everything but the waiters (stop): returns every connection that was open.
  std::map<std::uint64_t, ConnPtr> clear();

  ConnPtr find(std::uint64_t id) const;  // null when closed
  // The send path to a peer both sides agree on: a punched connection first, then one dialled by
  // the smaller node id; among several such, the oldest here.
  ConnPtr preferred(const NodeId& id) const;
  // The dial in progress to `uri`, or expected to reach node `id` (null when none).
  ConnPtr dialing(const std::string& uri) const;
  ConnPtr dialing(const NodeId& id) const;
  // Every connection to node `id`: its up ones, then the dial expected to reach it.
  std::vector<ConnPtr> to_node(const NodeId& id) const;
  // The ids of the up connections to `id` (a copy: closing one changes the table).
  std::vector<std::uint64_t> up_ids(const NodeId& id) const;
  std::size_t up_count(const NodeId& id) const;

  const std::map<std::uint64_t, ConnPtr>& all() const { return connections_; }
  const PeerIndex& peers() const { return peers_; }
  std::size_t size() const { return connections_.size(); }
  std::size_t peer_count() const { return peers_.size(); }
  bool is_connected(const NodeId& id) const { return peers_.count(id) > 0; }

  // `done` is called when connection `id` is up or closed (take_waiters).
  void await_up(std::uint64_t id, Waiter done) { waiters_[id].push_back(std::move(done)); }
  // The waiters of connection `id`, forgotten here, for the caller to call.
  std::vector<Waiter> take_waiters(std::uint64_t id);
  // Every waiter, in connection order (stop).
  std::vector<Waiter> take_all_waiters();

 private:
  NodeId self_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, ConnPtr> connections_;                      // every open one
  PeerIndex peers_;                                                   // up ones, by peer
  std::unordered_map<std::string, std::uint64_t> dialing_uri_;        // not yet up
  std::unordered_map<NodeId, std::uint64_t, NodeIdHash> dialing_id_;  // not yet up
  std::map<std::uint64_t, std::vector<Waiter>> waiters_;
};

}  // namespace butter::host
