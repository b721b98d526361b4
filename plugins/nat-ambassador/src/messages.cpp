// Encoders and bounds-checked decoders for /butter/relay/1, /butter/nat/1 and relay:// URIs.
#include "messages.hpp"

#include <arpa/inet.h>

#include <butter/wire.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace butter::nat {

namespace {

bool put_id(wire::Writer& w, const std::string& hex) {
  std::uint8_t raw[32];
  if (!wire::hex_to_id(hex, raw)) return false;
  w.bytes(raw, 32);
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode_relay(const RelayMessage& m) {
  wire::Writer w;
  w.u8(static_cast<std::uint8_t>(m.type));
  switch (m.type) {
    case RelayType::Open:
    case RelayType::Incoming:
      w.u64(m.stream);
      if (!put_id(w, m.node)) w.bytes(std::string(32, '\0').data(), 32);
      break;
    case RelayType::Data:
      w.u8(static_cast<std::uint8_t>(m.leg));
      w.u64(m.stream);
      w.bytes(m.body.data(), m.body.size());
      break;
    case RelayType::Close:
      w.u8(static_cast<std::uint8_t>(m.leg));
      w.u64(m.stream);
      w.str16(m.body.size() > 1024 ? std::string_view(m.body).substr(0, 1024) : std::string_view(m.body));
      break;
    case RelayType::Register:
    case RelayType::Unregister:
      break;
    case RelayType::Flow:
    case RelayType::Credit:
      w.u8(static_cast<std::uint8_t>(m.leg));
      w.u64(m.stream);
      w.u64(m.value);
      break;
  }
  return w.take();
}

std::array<std::uint8_t, kRelayDataHeader> relay_data_header(Leg leg, std::uint64_t stream) {
  std::array<std::uint8_t, kRelayDataHeader> h{};
  h[0] = static_cast<std::uint8_t>(RelayType::Data);
  h[1] = static_cast<std::uint8_t>(leg);
  wire::put_u64(h.data() + 2, stream);
  return h;
}

std::vector<std::uint8_t> encode_relay_data(Leg leg, std::uint64_t stream, const std::uint8_t* data, std::size_t len) {
  const auto header = relay_data_header(leg, stream);
  std::vector<std::uint8_t> out;
  out.reserve(kRelayDataHeader + len);  // one allocation for the bytes, the bulk (up to 64 KiB)
  out.insert(out.end(), header.begin(), header.end());
  if (len) out.insert(out.end(), data, data + len);
  return out;
}

std::optional<RelayDataView> decode_relay_data(const std::uint8_t* data, std::size_t len) {
  if (len < kRelayDataHeader || data[0] != static_cast<std::uint8_t>(RelayType::Data) || data[1] > 3)
    return std::nullopt;
  RelayDataView v;
  v.leg = static_cast<Leg>(data[1]);
  v.stream = wire::Reader(data + 2, 8).u64();
  v.data = data + kRelayDataHeader;
  v.len = len - kRelayDataHeader;
  return v;
}

std::optional<RelayMessage> decode_relay(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  RelayMessage m;
  const std::uint8_t type = r.u8();
  if (!r.ok()) {
    why = "empty message";
    return std::nullopt;
  }
  switch (type) {
    case 1:
    case 2: {
      m.type = static_cast<RelayType>(type);
      m.stream = r.u64();
      auto id = r.bytes(32);
      if (!r.ok()) break;
      m.node = wire::id_to_hex(id);
      break;
    }
    case 3:
    case 4:
    case 7:
    case 8: {
      // Data, Close, Flow and Credit: a leg and a stream, then what each carries.
      m.type = static_cast<RelayType>(type);
      const std::uint8_t leg = r.u8();
      if (r.ok() && leg > 3) {
        why = "unknown leg " + std::to_string(leg);
        return std::nullopt;
      }
      m.leg = static_cast<Leg>(leg);
      m.stream = r.u64();
      if (type >= 7) {
        m.value = r.u64();
      } else if (type == 3) {
        auto rest = r.bytes(r.remaining());
        m.body.assign(rest.data(), rest.size());
      } else {
        auto reason = r.str16(1024);
        m.body.assign(reason.data(), reason.size());
      }
      break;
    }
    case 5:
    case 6:
      m.type = static_cast<RelayType>(type);
      break;
    default:
      why = "unknown relay message type " + std::to_string(type);
      return std::nullopt;
  }
  if (!r.ok()) {
    why = "truncated relay message";
    return std::nullopt;
  }
  if (!r.at_end()) {
    why = "trailing bytes in relay message";
    return std::nullopt;
  }
  return m;
}

const char* reach_name(Reach r) {
  switch (r) {
    case Reach::Public:
      return "public";
    case Reach::Private:
      return "private";
    default:
      return "unknown";
  }
}

std::vector<std::uint8_t> encode_dialback(const DialBackRequest& req) {
  wire::Writer w;
  w.u8(static_cast<std::uint8_t>(NatType::DialBack));
  const std::size_t n = std::min(req.ports.size(), kMaxDialBackPorts);
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) w.u16(req.ports[i]);
  return w.take();
}

std::vector<std::uint8_t> encode_dialback_result(const DialBackResult& res) {
  wire::Writer w;
  w.str16(res.observed.size() > 255 ? std::string_view(res.observed).substr(0, 255) : std::string_view(res.observed));
  const std::size_t n = std::min(res.reached.size(), kMaxDialBackPorts);
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) w.u8(res.reached[i] ? 1 : 0);
  return w.take();
}

std::vector<std::uint8_t> encode_status(const StatusMessage& s) {
  wire::Writer w;
  w.u8(static_cast<std::uint8_t>(NatType::Status));
  w.u8(static_cast<std::uint8_t>(s.verdict));
  w.u8(s.serving ? 1 : 0);
  w.u32(s.clients);
  w.u32(s.max_clients);
  w.str16(s.relay_endpoint.size() > 1024 ? std::string_view() : std::string_view(s.relay_endpoint));
  return w.take();
}

std::vector<std::uint8_t> encode_ping(std::string_view body) {
  std::vector<std::uint8_t> out;
  out.reserve(body.size() + 1);
  out.push_back(static_cast<std::uint8_t>(NatType::Ping));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

namespace {
constexpr std::uint8_t kConnectMappingVaries = 1;
}  // namespace

std::vector<std::uint8_t> encode_connect(const ConnectMessage& m) {
  wire::Writer w;
  w.u8(static_cast<std::uint8_t>(NatType::Connect));
  std::vector<std::string_view> kept;
  for (const auto& a : m.addresses)
    if (kept.size() < kMaxPunchAddresses && a.size() <= kMaxPunchAddressBytes) kept.push_back(a);
  w.u8(static_cast<std::uint8_t>(kept.size()));
  for (auto a : kept) w.str16(a);
  if (m.mapping_varies) w.u8(kConnectMappingVaries);
  return w.take();
}

std::vector<std::uint8_t> encode_sync() { return {static_cast<std::uint8_t>(NatType::Sync)}; }

std::optional<ConnectMessage> decode_connect(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  if (r.u8() != static_cast<std::uint8_t>(NatType::Connect)) {
    why = "not a connect message";
    return std::nullopt;
  }
  const std::uint8_t n = r.u8();
  if (r.ok() && n > kMaxPunchAddresses) {
    why = "too many addresses (" + std::to_string(n) + ")";
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::uint8_t i = 0; i < n && r.ok(); ++i) {
    auto a = r.str16(kMaxPunchAddressBytes);
    if (!r.ok()) break;
    std::string host;
    std::uint16_t port = 0;
    if (!split_tcp_endpoint(a, host, port) || port == 0 || !numeric_ip(host) || unspecified_host(host)) {
      why = "not a tcp://<ip>:<port> address: '" + std::string(a.substr(0, 64)) + "'";
      return std::nullopt;
    }
    out.emplace_back(a);
  }
  std::uint8_t flags = 0;
  if (r.ok() && r.remaining() == 1) {
    flags = r.u8();
    if (flags == 0 || (flags & ~kConnectMappingVaries) != 0) {
      why = "bad connect flags " + std::to_string(flags);
      return std::nullopt;
    }
  }
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes in connect message" : "truncated connect message";
    return std::nullopt;
  }
  return ConnectMessage{std::move(out), (flags & kConnectMappingVaries) != 0};
}

std::vector<std::uint8_t> encode_mapping_request() { return {static_cast<std::uint8_t>(NatType::Mapping)}; }

std::vector<std::uint8_t> encode_mapping_answer(const MappingAnswer& a) {
  wire::Writer w;
  w.str16(a.ip.size() > 45 ? std::string_view() : std::string_view(a.ip));
  w.u16(a.port);
  return w.take();
}

std::optional<MappingAnswer> decode_mapping_answer(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  auto ip = r.str16(45);
  const std::uint16_t port = r.u16();
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes in mapping answer" : "truncated mapping answer";
    return std::nullopt;
  }
  MappingAnswer a{std::string(ip.data(), ip.size()), port};
  if (!numeric_ip(a.ip) || port == 0) {
    why = "mapping answer is not a numeric IP and a port";
    return std::nullopt;
  }
  return a;
}

bool numeric_ip(std::string_view host) {
  if (host.empty() || host.size() > 45) return false;
  std::string h(host);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

std::optional<NatType> nat_type(const std::uint8_t* data, std::size_t len) {
  if (!data || len == 0) return std::nullopt;
  if (data[0] < 1 || data[0] > 7) return std::nullopt;
  return static_cast<NatType>(data[0]);
}

std::optional<DialBackRequest> decode_dialback(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  if (r.u8() != static_cast<std::uint8_t>(NatType::DialBack)) {
    why = "not a dial-back request";
    return std::nullopt;
  }
  const std::uint8_t n = r.u8();
  if (r.ok() && n > kMaxDialBackPorts) {
    why = "too many ports (" + std::to_string(n) + ")";
    return std::nullopt;
  }
  DialBackRequest req;
  for (std::uint8_t i = 0; i < n && r.ok(); ++i) req.ports.push_back(r.u16());
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes in dial-back request" : "truncated dial-back request";
    return std::nullopt;
  }
  for (auto p : req.ports)
    if (p == 0) {
      why = "port 0 in dial-back request";
      return std::nullopt;
    }
  return req;
}

std::optional<DialBackResult> decode_dialback_result(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  DialBackResult res;
  auto observed = r.str16(255);
  res.observed.assign(observed.data(), observed.size());
  const std::uint8_t n = r.u8();
  if (r.ok() && n > kMaxDialBackPorts) {
    why = "too many results";
    return std::nullopt;
  }
  for (std::uint8_t i = 0; i < n && r.ok(); ++i) res.reached.push_back(r.u8() ? 1 : 0);
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes in dial-back result" : "truncated dial-back result";
    return std::nullopt;
  }
  return res;
}

std::optional<StatusMessage> decode_status(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  if (r.u8() != static_cast<std::uint8_t>(NatType::Status)) {
    why = "not a status message";
    return std::nullopt;
  }
  StatusMessage s;
  const std::uint8_t v = r.u8();
  s.serving = r.u8() != 0;
  s.clients = r.u32();
  s.max_clients = r.u32();
  auto ep = r.str16(1024);
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes in status" : "truncated status";
    return std::nullopt;
  }
  s.verdict = v <= 2 ? static_cast<Reach>(v) : Reach::Unknown;  // unknown values are ignored
  s.relay_endpoint.assign(ep.data(), ep.size());
  if (!s.relay_endpoint.empty()) {
    std::string ignored;
    if (!parse_relay_endpoint(s.relay_endpoint, ignored)) {
      why = "bad relay endpoint in status: " + ignored;
      return std::nullopt;
    }
  }
  return s;
}

std::string format_relay_endpoint(const RelayEndpoint& e) {
  std::string hostport;
  if (e.ambassador_tcp.rfind("tcp://", 0) == 0) hostport = e.ambassador_tcp.substr(6);
  return "relay://" + e.ambassador + "@" + hostport + "/" + e.client;
}

std::optional<RelayEndpoint> parse_relay_endpoint(std::string_view uri, std::string& why) {
  constexpr std::string_view scheme = "relay://";
  if (uri.substr(0, scheme.size()) != scheme) {
    why = "not a relay:// URI";
    return std::nullopt;
  }
  std::string_view rest = uri.substr(scheme.size());
  const auto at = rest.find('@');
  const auto slash = rest.rfind('/');
  if (at == std::string_view::npos || slash == std::string_view::npos || slash < at) {
    why = "expected relay://<ambassador id>@<host:port>/<client id>";
    return std::nullopt;
  }
  RelayEndpoint e;
  e.ambassador = std::string(rest.substr(0, at));
  std::string_view hostport = rest.substr(at + 1, slash - at - 1);
  e.client = std::string(rest.substr(slash + 1));
  if (!wire::is_lower_hex(e.ambassador, 64) || !wire::is_lower_hex(e.client, 64)) {
    why = "ambassador and client must be 64 lower-case hex digits";
    return std::nullopt;
  }
  if (e.ambassador == e.client) {
    why = "a node cannot be its own ambassador";
    return std::nullopt;
  }
  if (!hostport.empty()) {
    std::string host;
    std::uint16_t port = 0;
    e.ambassador_tcp = "tcp://" + std::string(hostport);
    if (!split_tcp_endpoint(e.ambassador_tcp, host, port) || port == 0) {
      why = "bad ambassador address '" + std::string(hostport) + "'";
      return std::nullopt;
    }
  }
  return e;
}

bool split_tcp_endpoint(std::string_view uri, std::string& host, std::uint16_t& port) {
  constexpr std::string_view scheme = "tcp://";
  if (uri.substr(0, scheme.size()) != scheme) return false;
  std::string_view rest = uri.substr(scheme.size());
  std::string_view h, p;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') return false;
    h = rest.substr(1, close - 1);
    p = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || rest.find(':') != colon) return false;
    h = rest.substr(0, colon);
    p = rest.substr(colon + 1);
  }
  if (h.empty() || h.find_first_of("/?#@ ") != std::string_view::npos) return false;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v > 65535) return false;
  host = std::string(h);
  port = static_cast<std::uint16_t>(v);
  return true;
}

bool unspecified_host(std::string_view host) { return host == "0.0.0.0" || host == "::" || host.empty(); }

bool punchable_ip(std::string_view host) {
  if (host.empty() || host.size() > 45) return false;
  const std::string h(host);
  unsigned char b[16];
  if (::inet_pton(AF_INET6, h.c_str(), b) == 1) {
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(mapped, mapped + 12, b)) {
      std::memmove(b, b + 12, 4);  // ::ffff:a.b.c.d: judged as a.b.c.d
    } else {
      if (b[0] == 0xff) return false;  // multicast
      bool zero = true;
      for (int i = 0; i < 15; ++i) zero = zero && b[i] == 0;
      return !(zero && (b[15] == 0 || b[15] == 1));  // :: and ::1
    }
  } else if (::inet_pton(AF_INET, h.c_str(), b) != 1) {
    return false;
  }
  if (b[0] == 0 || b[0] == 127) return false;                                  // "this network" (0.0.0.0/8), loopback
  if (b[0] >= 224 && b[0] <= 239) return false;                                // multicast
  if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255) return false;  // broadcast
  return true;
}

std::vector<std::uint8_t> encode_observe(const std::string& node) {
  wire::Writer w;
  w.u8(static_cast<std::uint8_t>(NatType::Observe));
  if (!put_id(w, node)) w.bytes(std::string(32, '\0').data(), 32);
  return w.take();
}

std::optional<std::string> decode_observe(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  if (r.u8() != static_cast<std::uint8_t>(NatType::Observe)) {
    why = "not an observe request";
    return std::nullopt;
  }
  auto id = r.bytes(32);
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes in observe request" : "truncated observe request";
    return std::nullopt;
  }
  return wire::id_to_hex(id);
}

std::vector<std::uint8_t> encode_observed_ip(std::string_view ip) {
  wire::Writer w;
  w.str16(ip.size() > 45 ? std::string_view() : ip);
  return w.take();
}

std::optional<std::string> decode_observed_ip(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  auto ip = r.str16(45);
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes in observe answer" : "truncated observe answer";
    return std::nullopt;
  }
  std::string out(ip.data(), ip.size());
  if (!numeric_ip(out)) {
    why = "observe answer is not a numeric IP: '" + out + "'";
    return std::nullopt;
  }
  return out;
}

}  // namespace butter::nat
