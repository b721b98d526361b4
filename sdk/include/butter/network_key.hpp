// butter/network_key.hpp — header-only: the address and network-prefix keys of a peer, for
// bounding what one address or one network may hold (known-host admission, replica placement).
//
// Node ids cost nothing to make; addresses do, and prefixes more so. IPv4: the address itself
// and its /24. IPv6: the /64 as the "address" (one host usually gets a whole /64 and may pick any
// address in it for free) and the /48 as the prefix (one site). An IPv4-mapped IPv6 address counts
// as IPv4. What does not parse as an IP address (a relay:// URI, a name) is its own address key
// (bounded to 128 bytes) with no prefix. Loopback (127.0.0.0/8, ::1) is reported as such: every
// node of a local test or `butter demo` shares it, so callers usually exempt it (a config key).
//
//   auto k = butter::network_key("tcp://198.18.0.7:7000");  // {"198.18.0.7", "198.18.0.0/24"}
#pragma once
#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace butter {

struct NetworkKey {
  std::string address;  // "198.18.0.7", "2001:db8:0:1::/64"; empty when there is no address
  std::string prefix;   // "198.18.0.0/24", "2001:db8::/48"; empty when not an IP address
  bool loopback = false;
};

namespace network_key_detail {

// The host part of "scheme://host:port/...", "[v6]:port", "host:port", a bare v6 or a bare host.
inline std::string host_of(std::string_view s) {
  if (auto p = s.find("://"); p != std::string_view::npos) s.remove_prefix(p + 3);
  if (auto slash = s.find('/'); slash != std::string_view::npos) s = s.substr(0, slash);
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    return std::string(close == std::string_view::npos ? s.substr(1) : s.substr(1, close - 1));
  }
  const auto colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) s = s.substr(0, colon);
  return std::string(s);
}

inline std::string v4(const std::uint8_t* b, std::size_t keep_bytes) {
  std::uint8_t m[4] = {0, 0, 0, 0};
  std::memcpy(m, b, keep_bytes);
  in_addr a{};
  std::memcpy(&a, m, 4);
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &a, buf, sizeof buf) ? std::string(buf) : std::string();
}

inline std::string v6(const std::uint8_t* b, std::size_t keep_bytes, int bits) {
  in6_addr a{};
  std::memcpy(&a, b, keep_bytes);
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &a, buf, sizeof buf) ? std::string(buf) + "/" + std::to_string(bits) : std::string();
}

}  // namespace network_key_detail

// Keys of `address_or_uri` (a remote address as the transport reports it, an endpoint URI, or a
// bare IP). Empty input gives empty keys.
inline NetworkKey network_key(std::string_view address_or_uri) {
  namespace d = network_key_detail;
  NetworkKey k;
  if (address_or_uri.empty()) return k;
  const std::string host = d::host_of(address_or_uri);
  std::uint8_t b[16];
  if (inet_pton(AF_INET, host.c_str(), b) == 1) {
    k.loopback = b[0] == 127;
    k.address = d::v4(b, 4);
    k.prefix = d::v4(b, 3) + "/24";
    return k;
  }
  if (inet_pton(AF_INET6, host.c_str(), b) == 1) {
    static const std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const std::uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::memcmp(b, kMapped, 12) == 0) {
      k.loopback = b[12] == 127;
      k.address = d::v4(b + 12, 4);
      k.prefix = d::v4(b + 12, 3) + "/24";
      return k;
    }
    k.loopback = std::memcmp(b, kLoopback, 16) == 0;
    k.address = d::v6(b, 8, 64);
    k.prefix = d::v6(b, 6, 48);
    return k;
  }
  k.address = std::string(address_or_uri.substr(0, 128));
  return k;
}

}  // namespace butter
