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
#include "port_mapping.hpp"

#include <cstdint>
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

// How wide one punch's spread is (butter.punch/2's local_sockets and remote_guesses).
struct SpreadSize {
  std::uint32_t sockets = 0, guesses = 0;
  bool operator==(const SpreadSize&) const = default;
};

// The spread for a punch between this node (`mine`) and a peer (`theirs`, from its Connect):
// `base` always (punch_spread_sockets/_guesses), and where exactly one side's NAT varies its
// ports, the birthday attempt at full width: the side that varies opens `hard.sockets` sockets
// (as many mappings, each at a random port), the side that keeps ports sends `hard.guesses` SYNs
// from its listen port to random ports of the other's IP; success per punch is about
// 1 - exp(-sockets x guesses / 64512) (63% at 256 x 256). Where both vary no guess can hit a
// mapping made for another destination, so nothing beyond `base` is spent.
SpreadSize spread_for(Mapping mine, Mapping theirs, SpreadSize base, SpreadSize hard);

}  // namespace butter::nat
