// Where one punch goes, decided from what the peer claims and what others vouch for.
//
// The addresses of a peer's Connect are its claims: a hostile peer may name a third party's
// address to make this node send it SYNs. The plain punch goes to at most kMaxPunchAddresses of
// them, none loopback, unspecified, multicast or broadcast (punchable_ip) and none with port 0;
// the host's punch budget bounds it further. The spread (butter.punch/2: up to hundreds of extra
// sockets and random-port guesses) goes only to an IP vouched for by someone this node trusts more
// than the peer: the IP the ambassador relaying the circuit sees the peer's connection come from
// (/butter/nat/1 Observe). No vouched IP, or none of the peer's addresses at it: no spread.
// Pure; unit-tested.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace butter::nat {

struct PunchPlan {
  // What to punch at, in order: the one at the vouched IP first (the host spreads over the first
  // endpoint only), then the peer's other public addresses, then its listen addresses.
  std::vector<std::string> addresses;
  bool spread = false;  // addresses.front() is at the vouched IP and not a listen address
};

// `offered`: the peer's Connect addresses (tcp://ip:port); `listen`: the peer's listen endpoints
// (its HELLO); `vouched_ip`: the IP vouched for the peer, empty when none.
PunchPlan plan_punch(const std::vector<std::string>& offered, const std::vector<std::string>& listen,
                     std::string_view vouched_ip);

// Whether a peer's offered address may be punched at: tcp://<punchable_ip>:<port != 0>.
bool punchable_address(std::string_view uri);

}  // namespace butter::nat
