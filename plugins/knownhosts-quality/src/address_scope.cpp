// AddressScope: IPv4/IPv6 classification with Boost.Asio's address parser.
#include "address_scope.hpp"

#include <boost/asio/ip/address.hpp>

#include <optional>

namespace butter::knownhosts {

namespace {

// The IP address inside a URI or bare address; nullopt when there is none.
std::optional<boost::asio::ip::address> ip_of(std::string_view uri) {
  std::string_view s = uri;
  if (auto p = s.find("://"); p != std::string_view::npos) {
    if (s.substr(0, p) != "tcp" && s.substr(0, p) != "udp") return std::nullopt;
    s = s.substr(p + 3);
  }
  std::string_view host;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(1, close - 1);
  } else {
    auto colon = s.find(':');
    host = colon == std::string_view::npos ? s : s.substr(0, colon);
    if (auto slash = host.find('/'); slash != std::string_view::npos) host = host.substr(0, slash);
  }
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::address(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()));
  return a;
}

bool private_v4(std::uint32_t a) {
  auto in = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) || in(0xA9FE0000, 16) ||
         in(0xC6120000, 15) || in(0x00000000, 8);
}

Scope scope_of_ip(const boost::asio::ip::address& a) {
  if (a.is_loopback()) return Scope::Loopback;
  if (a.is_v4()) return private_v4(a.to_v4().to_uint()) ? Scope::Private : Scope::Global;
  auto b = a.to_v6().to_bytes();
  if ((b[0] & 0xFE) == 0xFC) return Scope::Private;                  // fc00::/7 ULA
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return Scope::Private;  // fe80::/10 link-local
  if (a.to_v6().is_unspecified()) return Scope::Private;
  return Scope::Global;
}

bool same_network(const boost::asio::ip::address& a, const boost::asio::ip::address& b) {
  if (a.is_v4() != b.is_v4()) return false;
  if (a.is_v4()) return (a.to_v4().to_uint() >> 8) == (b.to_v4().to_uint() >> 8);  // /24
  auto x = a.to_v6().to_bytes(), y = b.to_v6().to_bytes();
  for (int i = 0; i < 8; ++i)  // /64
    if (x[i] != y[i]) return false;
  return true;
}

}  // namespace

Scope scope_of(std::string_view uri) {
  auto a = ip_of(uri);
  return a ? scope_of_ip(*a) : Scope::Unknown;
}

bool routable_for(std::string_view endpoint, std::string_view receiver) {
  auto ep = ip_of(endpoint);
  if (!ep) return true;  // relay:// and names: not ours to judge
  const Scope s = scope_of_ip(*ep);
  if (s == Scope::Global) return true;
  auto rx = ip_of(receiver);
  if (!rx) return false;  // a relayed peer, or one we cannot place: only what routes anywhere
  const Scope rs = scope_of_ip(*rx);
  if (s == Scope::Loopback) return rs == Scope::Loopback;
  return rs == Scope::Private && same_network(*ep, *rx);
}

}  // namespace butter::knownhosts
