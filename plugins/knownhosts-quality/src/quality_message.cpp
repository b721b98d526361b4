#include "quality_message.hpp"

#include <butter/wire.hpp>

namespace butter::knownhosts {

static constexpr std::uint8_t kVersion = 1;
static constexpr std::size_t kMaxEndpoints = 16;
static constexpr std::size_t kMaxEndpointBytes = 255;

static void put_quality(wire::Writer& w, const Quality& q) {
  w.u64(q.uptime_s);
  w.u64(q.free_storage);
  w.u32(q.hosts_known);
}

static Quality get_quality(wire::Reader& r) {
  Quality q;
  q.uptime_s = r.u64();
  q.free_storage = r.u64();
  q.hosts_known = r.u32();
  return q;
}

std::vector<std::uint8_t> encode_request(const QualityRequest& req) {
  wire::Writer w;
  w.u8(kVersion);
  put_quality(w, req.quality);
  std::vector<const std::string*> eps;
  for (const auto& e : req.endpoints) {
    if (e.size() <= kMaxEndpointBytes && eps.size() < kMaxEndpoints) eps.push_back(&e);
  }
  w.u8(static_cast<std::uint8_t>(eps.size()));
  for (const auto* e : eps) w.str16(*e);
  return w.take();
}

std::optional<QualityRequest> decode_request(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  std::uint8_t v = r.u8();
  if (r.ok() && v != kVersion) {
    why = "unsupported version " + std::to_string(v);
    return std::nullopt;
  }
  QualityRequest req;
  req.quality = get_quality(r);
  std::uint8_t n = r.u8();
  if (n > kMaxEndpoints) {
    why = "too many endpoints (" + std::to_string(n) + ")";
    return std::nullopt;
  }
  for (std::uint8_t i = 0; i < n && r.ok(); ++i) {
    auto ep = r.str16(kMaxEndpointBytes);
    if (r.ok() && ep.find("://") == std::string_view::npos) {
      why = "endpoint is not a URI";
      return std::nullopt;
    }
    req.endpoints.emplace_back(ep);
  }
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes" : "truncated request";
    return std::nullopt;
  }
  return req;
}

std::vector<std::uint8_t> encode_response(const Quality& q) {
  wire::Writer w;
  w.u8(kVersion);
  put_quality(w, q);
  return w.take();
}

std::optional<Quality> decode_response(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  std::uint8_t v = r.u8();
  if (r.ok() && v != kVersion) {
    why = "unsupported version " + std::to_string(v);
    return std::nullopt;
  }
  Quality q = get_quality(r);
  if (!r.ok() || !r.at_end()) {
    why = r.ok() ? "trailing bytes" : "truncated response";
    return std::nullopt;
  }
  return q;
}

}  // namespace butter::knownhosts
