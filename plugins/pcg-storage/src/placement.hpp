// Placement: which recruit candidates a group may take so that its replicas spread over networks
// (the hostile-peer issue: 200 node ids from 4 addresses took every replica slot). Node ids cost
// nothing; addresses and networks do. A group holds at most one replica per network prefix (/24
// for IPv4, /48 for IPv6, butter/network_key.hpp) while candidates of other prefixes are
// available, and never two on one address (IPv6: one /64).
//
// Which address: the one this node observed for the host (the remote address of its connection,
// `observed`) when there is one, else the host part of its first endpoint with an IP address.
// A host with neither (no endpoints, not connected) cannot be judged and is not limited: it
// cannot be reached either unless it is connected, and then its address is observed. Loopback
// (127/8, ::1) is exempt when `loopback_exempt` (every node of a local test or demo shares it).
//
// Pure: no I/O, no clock.
#pragma once
#include "repair.hpp"
#include "view.hpp"

#include <functional>
#include <string>
#include <vector>

namespace butter::pcg {

struct PlacementOptions {
  bool loopback_exempt = true;
};

// The address a host is judged by: `observed` when not empty, else its first IP endpoint (else
// its first endpoint, else "").
std::string placement_address(const std::string& observed, const std::vector<std::string>& endpoints);

// The candidates `view` may recruit `need` of, in their given order: first those of a prefix (and
// address) no member and no earlier pick holds; only when they are fewer than `need`, then those
// of another address in a prefix already held, up to `need` in all; never one on an address
// already held. `observed(id)` is the observed address of a host, "" when unknown.
std::vector<Candidate> diverse_recruits(const std::vector<Candidate>& candidates, const View& view, std::size_t need,
                                        const std::function<std::string(const Hash&)>& observed,
                                        const PlacementOptions& options);

}  // namespace butter::pcg
