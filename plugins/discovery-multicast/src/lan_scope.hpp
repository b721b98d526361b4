// LanScope: which source addresses could be on the LAN, and so may be answered by unicast.
//
// A PING's source address is the sender's to choose, and a PONG goes to it. Multicast with TTL 1
// reaches only the LAN, but a forger on the LAN can name any address, a victim on the internet
// included; a unicast PING to our own socket can come from anywhere. So a PING is answered only
// when its source is inside a subnet of the interface(s) discovery uses (a host there could have
// sent it; one that did not is on our own segment, where the answers stay) or on loopback (the
// kernel drops 127/8 arriving from outside). Pure logic, so that it is tested without interfaces;
// interface_subnets.hpp reads them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace butter::discovery {

// An IPv4 subnet, host byte order: an address is inside when (address & mask) == network.
struct Subnet {
  std::uint32_t network = 0;
  std::uint32_t mask = 0;
  bool operator==(const Subnet&) const = default;
};

// The address of dotted-quad `text` in host byte order, or nothing.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);

// `address`/`mask` as a subnet ("198.18.0.11", "255.255.255.0" -> 198.18.0.0/24); nothing when
// either is not an IPv4 address.
std::optional<Subnet> subnet_of(std::string_view address, std::string_view mask);

// "198.18.0.0/24" (the prefix length counts the mask's leading ones).
std::string to_string(const Subnet& s);

class LanScope {
 public:
  void set(std::vector<Subnet> subnets) { subnets_ = std::move(subnets); }
  const std::vector<Subnet>& subnets() const { return subnets_; }
  // Whether `address` (dotted quad) is on loopback or inside one of the subnets. Anything else,
  // an IPv6 address included, is not.
  bool contains(std::string_view address) const;

 private:
  std::vector<Subnet> subnets_;
};

}  // namespace butter::discovery
