#include "beacon.hpp"

#include <butter/wire.hpp>

#include <algorithm>

namespace butter::discovery {

static constexpr char kMagic[4] = {'B', 'U', 'T', 'R'};
static constexpr std::uint8_t kVersion = 1;
// Magic, version, kind, flags, node id, hosts_known and the endpoint count: 42 bytes.
static constexpr std::size_t kHeaderBytes = 4 + 1 + 1 + 1 + 32 + 2 + 1;

std::vector<std::string> endpoints_within(const Beacon& b, std::size_t max_bytes) {
  const std::size_t limit = std::min(max_bytes, kMaxBeaconBytes);
  std::vector<std::string> fitting;
  std::size_t size = kHeaderBytes;
  for (const auto& ep : b.endpoints) {
    if (ep.size() > kMaxEndpointBytes || fitting.size() == 255) continue;
    if (size + 2 + ep.size() > limit) continue;
    size += 2 + ep.size();
    fitting.push_back(ep);
  }
  return fitting;
}

std::vector<std::uint8_t> encode_beacon(const Beacon& b) {
  wire::Writer w;
  w.bytes(kMagic, 4);
  w.u8(kVersion);
  w.u8(static_cast<std::uint8_t>(b.kind));
  w.u8(b.cold ? 1 : 0);
  std::uint8_t id[32] = {};
  wire::hex_to_id(b.node_id, id);
  w.bytes(id, 32);
  w.u16(b.hosts_known);
  const std::vector<std::string> fitting = endpoints_within(b, kMaxBeaconBytes);
  w.u8(static_cast<std::uint8_t>(fitting.size()));
  for (const auto& ep : fitting) w.str16(ep);
  return w.take();
}

std::optional<Beacon> decode_beacon(const std::uint8_t* data, std::size_t len, std::string& why) {
  if (len > kMaxBeaconBytes) {
    why = "oversized beacon (" + std::to_string(len) + " bytes)";
    return std::nullopt;
  }
  wire::Reader r(data, len);
  if (r.bytes(4) != std::string_view(kMagic, 4)) {
    why = "not a beacon (bad magic)";
    return std::nullopt;
  }
  std::uint8_t version = r.u8();
  if (r.ok() && version != kVersion) {
    why = "unsupported beacon version " + std::to_string(version);
    return std::nullopt;
  }
  Beacon b;
  std::uint8_t kind = r.u8();
  if (r.ok() && (kind < 1 || kind > 3)) {
    why = "unknown beacon kind " + std::to_string(kind);
    return std::nullopt;
  }
  b.kind = static_cast<BeaconKind>(kind);
  std::uint8_t flags = r.u8();
  b.cold = flags & 1;
  std::string_view id = r.bytes(32);
  b.node_id = wire::id_to_hex(id);
  b.hosts_known = r.u16();
  std::uint8_t count = r.u8();
  for (std::uint8_t i = 0; i < count && r.ok(); ++i) {
    std::string_view ep = r.str16(kMaxEndpointBytes);
    if (r.ok() && ep.find("://") == std::string_view::npos) {
      why = "endpoint is not a URI";
      return std::nullopt;
    }
    b.endpoints.emplace_back(ep);
  }
  if (!r.ok()) {
    why = "truncated beacon";
    return std::nullopt;
  }
  if (!r.at_end()) {
    why = "trailing bytes after the beacon";
    return std::nullopt;
  }
  if (b.node_id == std::string(64, '0')) {
    why = "beacon without a node id";
    return std::nullopt;
  }
  return b;
}

}  // namespace butter::discovery
