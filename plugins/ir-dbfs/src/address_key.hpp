// The keys a query's sender is rate-limited by, from the remote address of its connection
// ("tcp://198.18.0.2:7000", "tcp://[2001:db8::1]:7000"). Node ids cost nothing to make; addresses
// do, and prefixes more so: IPv4 by address and by /24, IPv6 by /64 (what one host usually gets)
// and by /48 (one site). An IPv4-mapped IPv6 address counts as IPv4.
#pragma once
#include <string>
#include <string_view>

namespace butter::dbfs {

struct SourceKeys {
  std::string address;  // "198.18.0.2", "2001:db8:0:1::/64"; empty when the address is unknown
  std::string prefix;   // "198.18.0.0/24", "2001:db8::/48"; empty when not an IP address
};

// Keys for `remote_address` (a URI with or without scheme and port, or a bare IP). Loopback
// (127.0.0.0/8, ::1, ::ffff:127.x) has no keys: every node on this machine shares it (a thousand
// nodes of one test or demo), and a sender on the machine itself is not the stranger these rates
// price; its node id's bucket still applies. What does not
// parse as an IP address (a relay:// URI) is its own address key, bounded to 128 bytes, with no
// prefix.
SourceKeys source_keys(std::string_view remote_address);

}  // namespace butter::dbfs
