// Varints and packed endpoints (compact_wire.hpp).
#include "compact_wire.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>

namespace butter::knownhosts {

void put_varint(wire::Writer& w, std::uint64_t v) {
  while (v >= 0x80) {
    w.u8(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  w.u8(static_cast<std::uint8_t>(v));
}

std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

bool get_varint(wire::Reader& r, std::uint64_t& v) {
  v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    const std::uint8_t b = r.u8();
    if (!r.ok()) return false;
    const std::uint64_t part = b & 0x7F;
    if (shift == 63 && part > 1) return false;  // past 64 bits
    v |= part << shift;
    if (!(b & 0x80)) return shift == 0 || part != 0;  // a last byte of 0 after others: not minimal
  }
  return false;  // more than 10 bytes
}

namespace {

struct HostPort {
  bool v6 = false;
  std::array<std::uint8_t, 16> ip{};
  std::uint16_t port = 0;
};

// "a.b.c.d:port" or "[v6]:port", leniently: the caller compares the text it rebuilds.
std::optional<HostPort> parse_hostport(std::string_view s) {
  HostPort hp;
  std::string host;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
    hp.v6 = true;
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
  }
  if (::inet_pton(hp.v6 ? AF_INET6 : AF_INET, host.c_str(), hp.ip.data()) != 1) return std::nullopt;
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p > 65535) return std::nullopt;
  hp.port = static_cast<std::uint16_t>(p);
  return hp;
}

std::string format_hostport(const HostPort& hp) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(hp.v6 ? AF_INET6 : AF_INET, hp.ip.data(), text, sizeof text);
  return hp.v6 ? "[" + std::string(text) + "]:" + std::to_string(hp.port)
               : std::string(text) + ":" + std::to_string(hp.port);
}

void put_hostport(wire::Writer& w, const HostPort& hp) {
  w.u8(hp.v6 ? kEndpointTcp6 : kEndpointTcp4);
  w.bytes(hp.ip.data(), hp.v6 ? 16 : 4);
  w.u16(hp.port);
}

// After its kind byte (kEndpointTcp4 or kEndpointTcp6).
std::optional<HostPort> get_hostport(wire::Reader& r, std::uint8_t kind) {
  HostPort hp;
  hp.v6 = kind == kEndpointTcp6;
  auto ip = r.bytes(hp.v6 ? 16 : 4);
  hp.port = r.u16();
  if (!r.ok()) return std::nullopt;
  std::copy(ip.begin(), ip.end(), hp.ip.begin());
  return hp;
}

std::string hex32(std::string_view raw) { return wire::id_to_hex(raw); }

// The packed form of `uri` when it rebuilds to the same text; false to send it literally.
bool put_packed(wire::Writer& w, std::string_view uri) {
  constexpr std::string_view tcp = "tcp://", relay = "relay://";
  if (uri.substr(0, tcp.size()) == tcp) {
    auto hp = parse_hostport(uri.substr(tcp.size()));
    if (!hp || std::string(tcp) + format_hostport(*hp) != uri) return false;
    put_hostport(w, *hp);
    return true;
  }
  if (uri.substr(0, relay.size()) == relay) {
    const std::string_view rest = uri.substr(relay.size());
    const auto at = rest.find('@'), slash = rest.rfind('/');
    if (at == std::string_view::npos || slash == std::string_view::npos || slash < at) return false;
    std::uint8_t amb[32], client[32];
    if (!wire::hex_to_id(rest.substr(0, at), amb) || !wire::hex_to_id(rest.substr(slash + 1), client)) return false;
    const std::string_view host = rest.substr(at + 1, slash - at - 1);
    std::optional<HostPort> hp;
    if (!host.empty() && !(hp = parse_hostport(host))) return false;
    const std::string rebuilt = std::string(relay) + hex32({reinterpret_cast<const char*>(amb), 32}) + "@" +
                                (hp ? format_hostport(*hp) : "") + "/" +
                                hex32({reinterpret_cast<const char*>(client), 32});
    if (rebuilt != uri) return false;
    w.u8(kEndpointRelay);
    w.bytes(amb, 32);
    w.bytes(client, 32);
    if (hp) {
      put_hostport(w, *hp);
    } else {
      w.u8(0);
    }
    return true;
  }
  return false;
}

}  // namespace

void put_endpoint(wire::Writer& w, std::string_view uri) {
  if (put_packed(w, uri)) return;
  w.u8(kEndpointLiteral);
  w.u8(static_cast<std::uint8_t>(uri.size()));
  w.bytes(uri.data(), uri.size());
}

std::optional<std::string> get_endpoint(wire::Reader& r, std::uint8_t kind, std::string& why) {
  switch (kind) {
    case kEndpointLiteral: {
      const std::size_t n = r.u8();
      auto text = r.bytes(n);
      if (!r.ok()) {
        why = "truncated endpoint";
        return std::nullopt;
      }
      if (n == 0) {
        why = "empty endpoint";
        return std::nullopt;
      }
      // One form per endpoint (what decodes re-encodes to the same bytes): a URI that packs is
      // sent packed.
      wire::Writer packed;
      if (put_packed(packed, text)) {
        why = "literal endpoint that has a packed form";
        return std::nullopt;
      }
      return std::string(text);
    }
    case kEndpointTcp4:
    case kEndpointTcp6: {
      auto hp = get_hostport(r, kind);
      if (!hp) {
        why = "truncated endpoint";
        return std::nullopt;
      }
      return "tcp://" + format_hostport(*hp);
    }
    case kEndpointRelay: {
      auto amb = r.bytes(32);
      auto client = r.bytes(32);
      const std::uint8_t host_kind = r.u8();
      std::optional<HostPort> hp;
      if (r.ok() && (host_kind == kEndpointTcp4 || host_kind == kEndpointTcp6)) {
        hp = get_hostport(r, host_kind);
      } else if (r.ok() && host_kind != 0) {
        why = "relay endpoint host kind " + std::to_string(host_kind);
        return std::nullopt;
      }
      if (!r.ok()) {
        why = "truncated endpoint";
        return std::nullopt;
      }
      return "relay://" + hex32(amb) + "@" + (hp ? format_hostport(*hp) : "") + "/" + hex32(client);
    }
    default:
      why = "endpoint kind " + std::to_string(kind);
      return std::nullopt;
  }
}

}  // namespace butter::knownhosts
