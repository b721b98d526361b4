#include "quality_message.hpp"

#include "compact_wire.hpp"

#include <butter/wire.hpp>

namespace butter::knownhosts {

static constexpr std::size_t kMaxEndpoints = 16;
static constexpr std::size_t kMaxEndpointBytes = 255;

static void put_quality(wire::Writer& w, const Quality& q, std::uint8_t version) {
  if (version == kQualityV2) {
    put_varint(w, q.uptime_s);
    put_varint(w, q.free_storage);
    put_varint(w, q.hosts_known);
    return;
  }
  w.u64(q.uptime_s);
  w.u64(q.free_storage);
  w.u32(q.hosts_known);
}

// False on truncation or a malformed varint (the reader then is not ok() either way for v1).
static bool get_quality(wire::Reader& r, std::uint8_t version, Quality& q) {
  if (version == kQualityV2) {
    std::uint64_t hosts = 0;
    if (!get_varint(r, q.uptime_s) || !get_varint(r, q.free_storage) || !get_varint(r, hosts) || hosts > UINT32_MAX)
      return false;
    q.hosts_known = static_cast<std::uint32_t>(hosts);
    return true;
  }
  q.uptime_s = r.u64();
  q.free_storage = r.u64();
  q.hosts_known = r.u32();
  return r.ok();
}

// The version byte: 1 or 2, else nullopt with `why` (truncation is left to the caller's check).
static std::optional<std::uint8_t> get_version(wire::Reader& r, std::string& why) {
  const std::uint8_t v = r.u8();
  if (r.ok() && v != kQualityV1 && v != kQualityV2) {
    why = "unsupported version " + std::to_string(v);
    return std::nullopt;
  }
  return v;
}

std::vector<std::uint8_t> encode_request(const QualityRequest& req) {
  wire::Writer w;
  const std::uint8_t v = req.version == kQualityV1 ? kQualityV1 : kQualityV2;
  w.u8(v);
  put_quality(w, req.quality, v);
  std::vector<const std::string*> eps;
  for (const auto& e : req.endpoints) {
    if (!e.empty() && e.size() <= kMaxEndpointBytes && eps.size() < kMaxEndpoints) eps.push_back(&e);
  }
  w.u8(static_cast<std::uint8_t>(eps.size()));
  for (const auto* e : eps) {
    if (v == kQualityV2) {
      put_endpoint(w, *e);
    } else {
      w.str16(*e);
    }
  }
  return w.take();
}

std::optional<QualityRequest> decode_request(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  auto v = get_version(r, why);
  if (!v) return std::nullopt;
  QualityRequest req;
  req.version = *v;
  if (!get_quality(r, *v, req.quality) && r.ok()) {
    why = "malformed quality";
    return std::nullopt;
  }
  std::uint8_t n = r.u8();
  if (n > kMaxEndpoints) {
    why = "too many endpoints (" + std::to_string(n) + ")";
    return std::nullopt;
  }
  for (std::uint8_t i = 0; i < n && r.ok(); ++i) {
    std::string ep;
    if (*v == kQualityV2) {
      const std::uint8_t kind = r.u8();
      if (!r.ok()) break;
      std::string bad;
      auto e = get_endpoint(r, kind, bad);
      if (!e) {
        if (!r.ok()) break;
        why = bad;
        return std::nullopt;
      }
      ep = std::move(*e);
    } else {
      ep = std::string(r.str16(kMaxEndpointBytes));
    }
    if (r.ok() && ep.find("://") == std::string::npos) {
      why = "endpoint is not a URI";
      return std::nullopt;
    }
    req.endpoints.push_back(std::move(ep));
  }
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes" : "truncated request";
    return std::nullopt;
  }
  return req;
}

std::vector<std::uint8_t> encode_response(const Quality& q, std::uint8_t version) {
  wire::Writer w;
  const std::uint8_t v = version == kQualityV1 ? kQualityV1 : kQualityV2;
  w.u8(v);
  put_quality(w, q, v);
  return w.take();
}

std::optional<Quality> decode_response(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  auto v = get_version(r, why);
  if (!v) return std::nullopt;
  Quality q;
  if (!get_quality(r, *v, q) && r.ok()) {
    why = "malformed quality";
    return std::nullopt;
  }
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes" : "truncated response";
    return std::nullopt;
  }
  return q;
}

}  // namespace butter::knownhosts
