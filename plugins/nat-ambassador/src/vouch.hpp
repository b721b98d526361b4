// The state vouch.cpp owns: per relayed peer, the IP the ambassador of its circuit sees it
// connect from (where the punch spread may go, punch_plan.hpp).
#pragma once
#include <butter/cpp/bounded_lru.hpp>

#include <cstddef>
#include <string>

namespace butter::nat {

class Vouches {
 public:
  static constexpr std::size_t kMax = 256;

  // Keeps `ip` for `peer`; with kMax peers already, the one vouched for longest ago makes room.
  void remember(const std::string& peer, std::string ip) {
    by_peer_.get_or_insert(peer, [] { return std::string(); }) = std::move(ip);
  }
  // The vouched IP of `peer`; empty: none. Reading does not make a vouch more recent.
  std::string ip_of(const std::string& peer) const {
    const std::string* ip = by_peer_.peek(peer);
    return ip ? *ip : std::string();
  }
  // A peer that disconnected: its next circuit is vouched for afresh.
  void forget(const std::string& peer) { by_peer_.erase(peer); }

 private:
  butter::BoundedLru<std::string, std::string> by_peer_{kMax};  // numeric IPs, by peer
};

}  // namespace butter::nat
