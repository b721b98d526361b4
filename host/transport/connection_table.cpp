// ConnectionTable: the connections by id, by peer and by dial (see the header).
#include "transport/connection_table.hpp"

#include <algorithm>

namespace butter::host {

void ConnectionTable::add(ConnPtr c) {
  if (c->outbound() && !c->dial_uri().empty()) dialing_uri_[c->dial_uri()] = c->id();
  connections_[c->id()] = std::move(c);
}

void ConnectionTable::dial_ended(const Connection& c) {
  if (auto d = dialing_uri_.find(c.dial_uri()); d != dialing_uri_.end() && d->second == c.id()) dialing_uri_.erase(d);
  if (c.expected_id)
    if (auto d = dialing_id_.find(*c.expected_id); d != dialing_id_.end() && d->second == c.id()) dialing_id_.erase(d);
}

bool ConnectionTable::add_up(const Connection& c, const NodeId& peer) {
  auto& conns = peers_[peer];
  conns.push_back(c.id());
  return conns.size() == 1;
}

bool ConnectionTable::remove(const Connection& c) {
  connections_.erase(c.id());
  dial_ended(c);
  if (!c.up()) return false;
  auto it = peers_.find(c.peer().id);
  if (it == peers_.end()) return false;
  auto& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), c.id()), list.end());
  if (!list.empty()) return false;
  peers_.erase(it);
  return true;
}

std::map<std::uint64_t, ConnectionTable::ConnPtr> ConnectionTable::clear() {
  auto conns = std::move(connections_);
  connections_.clear();
  peers_.clear();
  dialing_uri_.clear();
  dialing_id_.clear();
  return conns;
}

ConnectionTable::ConnPtr ConnectionTable::find(std::uint64_t id) const {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second;
}

ConnectionTable::ConnPtr ConnectionTable::preferred(const NodeId& id) const {
  auto it = peers_.find(id);
  if (it == peers_.end()) return nullptr;
  ConnPtr best;
  int best_rank = -1;
  for (auto cid : it->second) {  // ids ascend: the first of equal rank is the oldest
    auto found = connections_.find(cid);
    if (found == connections_.end()) continue;
    const auto& c = found->second;
    // Both sides rank alike: a punched connection is punched on both (it is what relayed traffic
    // upgrades to); otherwise the one the smaller node id dialled.
    const bool dialled_by_smaller = c->outbound() ? (self_ < id) : (id < self_);
    const int rank = c->punched ? 2 : dialled_by_smaller ? 1 : 0;
    if (rank > best_rank) {
      best = c;
      best_rank = rank;
    }
  }
  return best;
}

ConnectionTable::ConnPtr ConnectionTable::dialing(const std::string& uri) const {
  auto d = dialing_uri_.find(uri);
  return d == dialing_uri_.end() ? nullptr : find(d->second);
}

ConnectionTable::ConnPtr ConnectionTable::dialing(const NodeId& id) const {
  auto d = dialing_id_.find(id);
  return d == dialing_id_.end() ? nullptr : find(d->second);
}

std::vector<ConnectionTable::ConnPtr> ConnectionTable::to_node(const NodeId& id) const {
  std::vector<ConnPtr> out;
  for (auto cid : up_ids(id))
    if (auto c = find(cid)) out.push_back(std::move(c));
  if (auto c = dialing(id)) out.push_back(std::move(c));
  return out;
}

std::vector<std::uint64_t> ConnectionTable::up_ids(const NodeId& id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? std::vector<std::uint64_t>{} : it->second;
}

std::size_t ConnectionTable::up_count(const NodeId& id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? 0 : it->second.size();
}

std::vector<ConnectionTable::Waiter> ConnectionTable::take_waiters(std::uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return {};
  auto list = std::move(it->second);
  waiters_.erase(it);
  return list;
}

std::vector<ConnectionTable::Waiter> ConnectionTable::take_all_waiters() {
  auto waiters = std::move(waiters_);
  waiters_.clear();
  std::vector<Waiter> out;
  for (auto& [id, list] : waiters)
    for (auto& w : list) out.push_back(std::move(w));
  return out;
}

}  // namespace butter::host
