// The relays' state (relay.hpp): clients, circuits and relayed streams, which RelayServer and
// RelayEnds keep; kept apart from them so that the unit tests build them alone.
#include "relay.hpp"

namespace butter::nat {

std::vector<std::string> Clients::expire(std::uint64_t now_ms, std::uint64_t expiry_ms) {
  std::vector<std::string> gone;
  for (auto it = since_.begin(); it != since_.end();) {
    if (now_ms - it->second > expiry_ms) {
      gone.push_back(it->first);
      it = since_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

std::vector<std::string> Clients::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, t] : since_) out.push_back(id);
  return out;
}

std::uint64_t Circuits::open(const std::string& origin, std::uint64_t origin_stream, const std::string& target,
                             std::uint64_t now_ms, std::string origin_address) {
  const std::uint64_t id = next_id_++;
  by_id_[id] = Circuit{origin, target, std::move(origin_address), origin_stream, 0, now_ms, CircuitFlow()};
  by_origin_[std::make_pair(origin, origin_stream)] = id;
  return id;
}

Circuits::Circuit* Circuits::find(std::uint64_t relay_id) {
  auto it = by_id_.find(relay_id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::optional<std::uint64_t> Circuits::by_origin(const std::string& origin, std::uint64_t origin_stream) const {
  auto it = by_origin_.find(std::make_pair(origin, origin_stream));
  if (it == by_origin_.end()) return std::nullopt;
  return it->second;
}

std::optional<Circuits::Circuit> Circuits::take(std::uint64_t relay_id) {
  auto it = by_id_.find(relay_id);
  if (it == by_id_.end()) return std::nullopt;
  Circuit x = std::move(it->second);
  by_id_.erase(it);
  by_origin_.erase(std::make_pair(x.origin, x.origin_stream));
  return x;
}

bool Circuits::joins(const std::string& a, const std::string& b) const {
  for (const auto& [r, x] : by_id_)
    if ((x.origin == a && x.target == b) || (x.target == a && x.origin == b)) return true;
  return false;
}

std::vector<std::uint64_t> Circuits::with_target(const std::string& target) const {
  std::vector<std::uint64_t> out;
  for (const auto& [r, x] : by_id_)
    if (x.target == target) out.push_back(r);
  return out;
}

std::size_t Circuits::count_to(const std::string& target) const {
  std::size_t n = 0;
  for (const auto& [r, x] : by_id_) n += x.target == target ? 1 : 0;
  return n;
}

std::size_t Circuits::count_to_from(const std::string& target, const std::string& address) const {
  std::size_t n = 0;
  for (const auto& [r, x] : by_id_) n += x.target == target && x.origin_address == address ? 1 : 0;
  return n;
}

void FlowOffers::put(const std::string& from, std::uint64_t stream, std::uint64_t window) {
  if (by_key_.size() >= kMax && !by_key_.count({from, stream})) {
    auto oldest = by_key_.begin();
    for (auto it = by_key_.begin(); it != by_key_.end(); ++it)
      if (it->second.first < oldest->second.first) oldest = it;
    by_key_.erase(oldest);
  }
  by_key_[{from, stream}] = {seq_++, window};
}

std::optional<std::uint64_t> FlowOffers::take(const std::string& from, std::uint64_t stream) {
  auto it = by_key_.find({from, stream});
  if (it == by_key_.end()) return std::nullopt;
  const std::uint64_t w = it->second.second;
  by_key_.erase(it);
  return w;
}

std::vector<std::pair<std::uint64_t, bool>> Circuits::using_peer(const std::string& peer) const {
  std::vector<std::pair<std::uint64_t, bool>> out;
  for (const auto& [r, x] : by_id_) {
    if (x.origin == peer)
      out.emplace_back(r, true);
    else if (x.target == peer)
      out.emplace_back(r, false);
  }
  return out;
}

std::vector<std::uint64_t> Circuits::older_than(std::uint64_t now_ms, std::uint64_t max_ms) const {
  std::vector<std::uint64_t> out;
  for (const auto& [r, x] : by_id_)
    if (now_ms - x.started_ms > max_ms) out.push_back(r);
  return out;
}

void Circuits::ends(std::set<std::string>& out) const {
  for (const auto& [r, x] : by_id_) {
    out.insert(x.origin);
    out.insert(x.target);
  }
}

void RelayStreams::add(std::uint64_t stream_id, Stream s) {
  if (s.inbound) inbound_[std::make_pair(s.ambassador, s.wire_id)] = stream_id;
  by_id_[stream_id] = std::move(s);
}

RelayStreams::Stream* RelayStreams::find(std::uint64_t stream_id) {
  auto it = by_id_.find(stream_id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::optional<RelayStreams::Stream> RelayStreams::take(std::uint64_t stream_id) {
  auto it = by_id_.find(stream_id);
  if (it == by_id_.end()) return std::nullopt;
  Stream s = std::move(it->second);
  by_id_.erase(it);
  if (s.inbound) inbound_.erase(std::make_pair(s.ambassador, s.wire_id));
  return s;
}

std::optional<std::uint64_t> RelayStreams::inbound(const std::string& ambassador, std::uint64_t wire_id) const {
  auto it = inbound_.find(std::make_pair(ambassador, wire_id));
  if (it == inbound_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::uint64_t> RelayStreams::through(const std::string& ambassador, bool inbound_only) const {
  std::vector<std::uint64_t> out;
  for (const auto& [id, s] : by_id_)
    if ((s.inbound || !inbound_only) && s.ambassador == ambassador) out.push_back(id);
  return out;
}

void RelayStreams::ambassadors(std::set<std::string>& out) const {
  for (const auto& [id, s] : by_id_) out.insert(s.ambassador);
}

}  // namespace butter::nat
