// Neighbours: choosing, accepting and losing overlay neighbours.
#include "neighbours.hpp"

#include <algorithm>

namespace butter::knownhosts {

std::vector<std::string> Neighbours::to_dial(const std::vector<Candidate>& candidates, std::uint64_t now_ms) {
  std::vector<std::string> out;
  const std::size_t have = out_.size() + dialing_.size();
  if (have >= opts_.want_out || dialing_.size() >= opts_.max_dialing) return out;
  std::size_t room = std::min(opts_.want_out - have, opts_.max_dialing - dialing_.size());
  std::map<std::string, std::size_t> per_network;
  for (const auto& [id, net] : out_) ++per_network[net];
  for (const auto& [id, net] : in_) ++per_network[net];
  auto network_backed_off = [&](const Candidate& c) {
    if (c.answered || c.network.empty()) return false;
    auto it = network_backoff_.find(c.network);
    return it != network_backoff_.end() && it->second.until_ms > now_ms;
  };
  std::vector<const Candidate*> order;
  for (const auto& c : candidates)
    if (!is_neighbour(c.id) && !dialing_.count(c.id) && !backed_off(c.id, now_ms) && !network_backed_off(c))
      order.push_back(&c);
  std::stable_sort(order.begin(), order.end(), [&](const Candidate* a, const Candidate* b) {
    auto na = per_network.count(a->network) ? per_network[a->network] : 0;
    auto nb = per_network.count(b->network) ? per_network[b->network] : 0;
    return na < nb;
  });
  for (const auto* c : order) {
    if (out.size() >= room) break;
    if (std::find(out.begin(), out.end(), c->id) != out.end()) continue;
    dialing_[c->id] = Dial{c->network, c->answered};
    out.push_back(c->id);
  }
  return out;
}

bool Neighbours::accepted(const std::string& id, const std::string& network) {
  answered(id);
  if (in_.count(id)) return true;  // it chose us meanwhile: one link, counted once
  if (out_.size() >= opts_.want_out) return false;
  out_[id] = network;
  return true;
}

void Neighbours::refused(const std::string& id, std::uint64_t now_ms) {
  answered(id);
  backoff(id, now_ms + opts_.refused_backoff_ms);
}

void Neighbours::failed(const std::string& id, std::uint64_t now_ms) {
  auto d = dialing_.find(id);
  if (d != dialing_.end()) {
    if (!d->second.answered && !d->second.network.empty()) count_failure(network_backoff_, d->second.network, now_ms);
    dialing_.erase(d);
  }
  count_failure(backoff_, id, now_ms);
}

void Neighbours::busy(const std::string& id, std::uint64_t until_ms) {
  answered(id);
  backoff(id, until_ms);
}

void Neighbours::answered(const std::string& id) {
  auto d = dialing_.find(id);
  if (d == dialing_.end()) return;
  network_backoff_.erase(d->second.network);
  dialing_.erase(d);
}

Neighbours::Inbound Neighbours::accept_inbound(const std::string& id, const std::string& network,
                                               const std::string& address, const std::string& prefix) {
  Inbound r;
  if (is_neighbour(id)) {
    r.accepted = true;
    return r;
  }
  std::size_t same_address = 0, same_prefix = 0;
  std::map<std::string, std::size_t> per_group;
  for (const auto& [other, f] : in_from_) {
    if (!address.empty() && f.address == address) ++same_address;
    if (!prefix.empty() && f.prefix == prefix) ++same_prefix;
    if (!group_of(f).empty()) ++per_group[group_of(f)];
  }
  if (!address.empty() && same_address >= opts_.max_in_per_address) return r;
  if (!prefix.empty() && same_prefix >= opts_.max_in_per_prefix) return r;
  const InboundFrom from{address, prefix, ++in_order_};
  if (in_.size() >= opts_.max_in) {
    // Full: an asker from a network none of them comes from replaces the newest of the most
    // represented network, so that many ids of a few networks cannot keep the slots.
    const std::string& group = group_of(from);
    if (group.empty() || per_group.count(group)) return r;
    auto crowded = std::max_element(per_group.begin(), per_group.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
    if (crowded == per_group.end() || crowded->second < 2) return r;
    const std::string* victim = nullptr;
    std::uint64_t newest = 0;
    for (const auto& [other, f] : in_from_)
      if (group_of(f) == crowded->first && f.order >= newest) {
        newest = f.order;
        victim = &other;
      }
    r.replaced = *victim;
    lost(r.replaced);
  }
  in_[id] = network;
  in_from_[id] = from;
  r.accepted = true;
  return r;
}

bool Neighbours::lost(const std::string& id) {
  dialing_.erase(id);  // a dial cut short says nothing about the host: its backoff stays as it was
  in_from_.erase(id);
  return out_.erase(id) + in_.erase(id) > 0;
}

std::vector<std::string> Neighbours::all() const {
  std::vector<std::string> v;
  for (const auto& [id, n] : out_) v.push_back(id);
  for (const auto& [id, n] : in_) v.push_back(id);
  return v;
}

bool Neighbours::backed_off(const std::string& id, std::uint64_t now_ms) const { return backoff_until(id) > now_ms; }

std::uint64_t Neighbours::backoff_until(const std::string& id) const {
  auto it = backoff_.find(id);
  return it == backoff_.end() ? 0 : it->second.until_ms;
}

Neighbours::Backoff& Neighbours::entry(BackoffTable& table, const std::string& key) {
  if (table.size() >= opts_.max_backoff_entries && !table.count(key)) {
    // Full: forget the entry that ends first (bounded table; an expired one usually).
    auto first = std::min_element(table.begin(), table.end(),
                                  [](const auto& a, const auto& b) { return a.second.until_ms < b.second.until_ms; });
    table.erase(first);
  }
  return table[key];
}

void Neighbours::backoff(const std::string& id, std::uint64_t until_ms) {
  Backoff& b = entry(backoff_, id);
  b.until_ms = until_ms;
  b.failures = 0;
}

void Neighbours::count_failure(BackoffTable& table, const std::string& key, std::uint64_t now_ms) {
  Backoff& b = entry(table, key);
  // failed_backoff_ms, doubled per failure in a row before this one, up to the cap.
  std::uint64_t wait = opts_.failed_backoff_ms;
  for (std::uint32_t i = 0; i < b.failures && wait < opts_.max_failed_backoff_ms; ++i) wait *= 2;
  b.until_ms = now_ms + std::min(wait, std::max(opts_.max_failed_backoff_ms, opts_.failed_backoff_ms));
  ++b.failures;
}

std::string Neighbours::network_key(const std::string& endpoint) {
  auto p = endpoint.find("://");
  if (p == std::string::npos) return {};
  std::string scheme = endpoint.substr(0, p), rest = endpoint.substr(p + 3);
  if (scheme == "relay") return "relay:" + rest.substr(0, rest.find('@'));
  if (!rest.empty() && rest.front() == '[') {
    std::string host = rest.substr(1, rest.find(']') - 1);
    // The first four groups (a /64 when written out in full).
    std::size_t groups = 0, i = 0;
    for (; i < host.size(); ++i)
      if (host[i] == ':' && ++groups == 4) break;
    return host.substr(0, i);
  }
  std::string host = rest.substr(0, rest.find(':'));
  auto last = host.rfind('.');
  return last == std::string::npos ? host : host.substr(0, last);
}

}  // namespace butter::knownhosts
