// SenderNetwork: a peer's observed network as bound keys.
#include "sender_network.hpp"

#include <butter/network_key.hpp>

namespace butter::knownhosts {

SenderNetwork sender_network(const std::string& remote, const std::vector<std::string>& own_endpoints,
                             bool loopback_exempt) {
  const butter::NetworkKey k = butter::network_key(remote);
  if (k.loopback && loopback_exempt) return {};
  SenderNetwork n{k.address, k.prefix};
  for (const auto& e : own_endpoints)
    if (!n.prefix.empty() && butter::network_key(e).prefix == n.prefix) n.prefix.clear();
  return n;
}

std::string sender_key(const SenderNetwork& n, const std::string& id) {
  if (!n.prefix.empty()) return "net:" + n.prefix;
  if (!n.address.empty()) return "addr:" + n.address;
  return "id:" + id;
}

}  // namespace butter::knownhosts
