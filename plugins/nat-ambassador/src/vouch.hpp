// The state vouch.cpp owns: per relayed peer, the IP the ambassador of its circuit sees it
// connect from (where the punch spread may go, punch_plan.hpp).
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace butter::nat {

class Vouches {
 public:
  static constexpr std::size_t kMax = 256;

  // Keeps `ip` for `peer`; with kMax peers already, the one vouched for longest ago makes room.
  void remember(const std::string& peer, std::string ip, std::uint64_t now_ms) {
    if (!by_peer_.count(peer) && by_peer_.size() >= kMax) {
      auto oldest = by_peer_.begin();
      for (auto it = by_peer_.begin(); it != by_peer_.end(); ++it)
        if (it->second.at_ms < oldest->second.at_ms) oldest = it;
      by_peer_.erase(oldest);
    }
    by_peer_[peer] = Vouch{std::move(ip), now_ms};
  }
  // The vouched IP of `peer`; empty: none.
  std::string ip_of(const std::string& peer) const {
    auto it = by_peer_.find(peer);
    return it == by_peer_.end() ? std::string() : it->second.ip;
  }
  // A peer that disconnected: its next circuit is vouched for afresh.
  void forget(const std::string& peer) { by_peer_.erase(peer); }

 private:
  struct Vouch {
    std::string ip;           // numeric
    std::uint64_t at_ms = 0;  // when it was said (the oldest makes room)
  };
  std::map<std::string, Vouch> by_peer_;
};

}  // namespace butter::nat
