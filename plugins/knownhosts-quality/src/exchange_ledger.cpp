// ExchangeLedger: per-peer exchange state, bounded and expiring.
#include "exchange_ledger.hpp"

namespace butter::knownhosts {

ExchangeLedger::Entry& ExchangeLedger::touch(const std::string& peer, std::uint64_t now_ms, bool& first) {
  // Entries untouched for expiry_ms go (oldest first, so this is cheap).
  while (!by_last_.empty() && by_last_.begin()->first + limits_.expiry_ms < now_ms) {
    entries_.erase(by_last_.begin()->second);
    by_last_.erase(by_last_.begin());
  }
  auto it = entries_.find(peer);
  first = it == entries_.end();
  if (first) {
    if (entries_.size() >= limits_.max_peers && !by_last_.empty()) {
      entries_.erase(by_last_.begin()->second);
      by_last_.erase(by_last_.begin());
    }
    it = entries_.emplace(peer, Entry{}).first;
  } else {
    by_last_.erase({it->second.last_ms, peer});
  }
  it->second.last_ms = now_ms;
  by_last_.insert({now_ms, peer});
  return it->second;
}

const ExchangeLedger::Entry* ExchangeLedger::find(const std::string& peer) const {
  auto it = entries_.find(peer);
  return it == entries_.end() ? nullptr : &it->second;
}

void ExchangeLedger::forget(const std::string& peer) {
  auto it = entries_.find(peer);
  if (it == entries_.end()) return;
  by_last_.erase({it->second.last_ms, peer});
  entries_.erase(it);
}

}  // namespace butter::knownhosts
