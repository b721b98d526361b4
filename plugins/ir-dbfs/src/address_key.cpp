// Rate-limit keys from a remote address (see address_key.hpp).
#include "address_key.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace butter::dbfs {

namespace {

// The host part of "scheme://host:port", "[v6]:port", "host:port", "v6" or "host".
std::string host_of(std::string_view s) {
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

std::string v4(const std::uint8_t* b, int keep_bytes) {
  in_addr a{};
  std::uint8_t m[4] = {0, 0, 0, 0};
  std::memcpy(m, b, static_cast<std::size_t>(keep_bytes));
  std::memcpy(&a, m, 4);
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &a, buf, sizeof buf) ? std::string(buf) : std::string();
}

std::string v6(const std::uint8_t* b, int keep_bytes, int bits) {
  in6_addr a{};
  std::memcpy(&a, b, static_cast<std::size_t>(keep_bytes));
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, &a, buf, sizeof buf)) return {};
  return std::string(buf) + "/" + std::to_string(bits);
}

}  // namespace

SourceKeys source_keys(std::string_view remote_address) {
  SourceKeys k;
  if (remote_address.empty()) return k;
  const std::string host = host_of(remote_address);
  std::uint8_t b[16];
  if (inet_pton(AF_INET, host.c_str(), b) == 1) {
    if (b[0] == 127) return k;  // loopback: see the header
    k.address = v4(b, 4);
    k.prefix = v4(b, 3) + "/24";
    return k;
  }
  if (inet_pton(AF_INET6, host.c_str(), b) == 1) {
    static const std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const std::uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::memcmp(b, kLoopback, 16) == 0) return k;
    if (std::memcmp(b, kMapped, 12) == 0) {
      if (b[12] == 127) return k;
      k.address = v4(b + 12, 4);
      k.prefix = v4(b + 12, 3) + "/24";
      return k;
    }
    k.address = v6(b, 8, 64);
    k.prefix = v6(b, 6, 48);
    return k;
  }
  k.address = std::string(remote_address.substr(0, 128));
  return k;
}

}  // namespace butter::dbfs
