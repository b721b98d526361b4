// AddressScope: whether an endpoint is worth offering to a given peer. A record travels only with
// the addresses its receiver can route to (DESIGN.md §8): loopback only to peers on this host,
// private addresses (RFC 1918, CGNAT, link-local, ULA, the 198.18.0.0/15 test range) only to peers
// reaching us from the same /24 (IPv4) or /64 (IPv6), global addresses and non-IP endpoints
// (relay://, which route through a public ambassador) to everyone.
#pragma once
#include <string>
#include <string_view>

namespace butter::knownhosts {

enum class Scope { Loopback, Private, Global, Unknown };

// The scope of the host part of a URI ("tcp://10.0.0.1:7000", "tcp://[::1]:7000"), or of a bare
// address. Unknown for names, non-IP schemes and anything unparsable.
Scope scope_of(std::string_view uri);

// True when `endpoint` is worth offering to a peer whose connection reaches us from `receiver`
// (its remote address as our transport sees it, "tcp://ip:port" or "relay://...").
bool routable_for(std::string_view endpoint, std::string_view receiver);

}  // namespace butter::knownhosts
