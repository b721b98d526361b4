// SenderNetwork: the network a peer reaches us from, as keys for the bounds that hold per network
// rather than per node id (ids cost nothing to make; addresses do, and prefixes more so; DESIGN.md
// §8 "admission and placement bounded per network prefix"). Taken from the remote address of its
// connection as this node's transport sees it, never from what the peer announces.
//
// Loopback is exempt when the admission limits say so (every node of a local test or `butter
// demo` shares it): no keys, and the bounds fall back to the peer's id. This node's own prefix is
// its LAN: bounded per address only, as in the quality cache.
#pragma once
#include <string>
#include <vector>

namespace butter::knownhosts {

struct SenderNetwork {
  std::string address;  // IPv4 address, IPv6 /64, or a non-IP remote (relay://...); "" when exempt or unknown
  std::string prefix;   // IPv4 /24, IPv6 /48; "" when exempt, unknown, not IP, or this node's own
};

// `remote`: "tcp://ip:port" or "relay://..." ("" when not connected); `own_endpoints`: this node's.
SenderNetwork sender_network(const std::string& remote, const std::vector<std::string>& own_endpoints,
                             bool loopback_exempt);

// The single key a per-sender budget or quota counts under: the prefix, else the address, else
// the peer's id (exempt or unknown).
std::string sender_key(const SenderNetwork& n, const std::string& id);

}  // namespace butter::knownhosts
