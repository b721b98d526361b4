// The IPv4 subnets discovery's interface is on, read from the system (getifaddrs), for LanScope.
#pragma once
#include "lan_scope.hpp"

#include <string>
#include <vector>

namespace butter::discovery {

// With `interface` (an IPv4 address, the plugin's key): every IPv4 subnet of the interface that
// holds that address — an interface may carry several, and multicast reaches them all. Empty
// `interface` (the system picks the multicast interface, which we cannot ask): the subnets of
// every interface that is up, all directly connected. Loopback is left to LanScope. Empty when
// nothing matches or the system cannot be asked.
std::vector<Subnet> interface_subnets(const std::string& interface);

}  // namespace butter::discovery
