#include "lan_scope.hpp"

#include <arpa/inet.h>

#include <bit>

namespace butter::discovery {

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  const std::string s(text);
  in_addr a{};
  if (::inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::optional<Subnet> subnet_of(std::string_view address, std::string_view mask) {
  auto a = parse_ipv4(address);
  auto m = parse_ipv4(mask);
  if (!a || !m) return std::nullopt;
  return Subnet{*a & *m, *m};
}

std::string to_string(const Subnet& s) {
  in_addr a{};
  a.s_addr = htonl(s.network);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a, text, sizeof text);
  return std::string(text) + "/" + std::to_string(std::countl_one(s.mask));
}

bool LanScope::contains(std::string_view address) const {
  auto a = parse_ipv4(address);
  if (!a) return false;
  if ((*a >> 24) == 127) return true;  // loopback: this host's own nodes
  for (const auto& s : subnets_) {
    if ((*a & s.mask) == s.network) return true;
  }
  return false;
}

}  // namespace butter::discovery
