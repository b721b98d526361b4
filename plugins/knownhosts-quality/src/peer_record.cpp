// PeerRecord codec: bounds-checked decoding, endpoint hashing (libsodium BLAKE2b) and signatures
// through the caller's sign/verify (the host's butter.identity/1 in the plugin, libsodium in tests).
#include "peer_record.hpp"

#include <butter/wire.hpp>
#include <sodium.h>

namespace butter::knownhosts {

namespace {
constexpr std::uint8_t kVersion = 1;

bool valid_uri(std::string_view uri) {
  if (uri.empty() || uri.size() > 255 || uri.find("://") == std::string_view::npos) return false;
  for (unsigned char c : uri)
    if (c < 0x21 || c == 0x7F) return false;
  return true;
}
}  // namespace

EndpointHash endpoint_hash(std::string_view uri) {
  EndpointHash h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(uri.data()), uri.size(), nullptr, 0);
  return h;
}

std::string PeerRecord::id_hex() const {
  return wire::id_to_hex(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

std::vector<std::string> PeerRecord::visible_endpoints() const {
  std::vector<std::string> out;
  for (const auto& e : endpoints)
    if (e.uri) out.push_back(*e.uri);
  return out;
}

// version | id | seq | issued_ms | n: the start of both the signed bytes and the wire form.
static void write_head(wire::Writer& w, const PeerRecord& r) {
  w.u8(kVersion);
  w.bytes(r.id.data(), r.id.size());
  w.u64(r.seq);
  w.u64(r.issued_ms);
  w.u8(static_cast<std::uint8_t>(r.endpoints.size()));
}

std::vector<std::uint8_t> PeerRecord::signed_bytes() const {
  wire::Writer w;
  write_head(w, *this);
  for (const auto& e : endpoints) w.bytes(e.hash.data(), e.hash.size());
  return w.take();
}

std::vector<std::uint8_t> PeerRecord::encode(const std::function<bool(std::string_view uri)>& keep) const {
  wire::Writer w;
  write_head(w, *this);
  for (const auto& e : endpoints) {
    if (e.uri && (!keep || keep(*e.uri))) {
      w.u8(0);
      w.str16(*e.uri);
    } else {
      w.u8(1);
      w.bytes(e.hash.data(), e.hash.size());
    }
  }
  w.bytes(signature.data(), signature.size());
  return w.take();
}

PeerRecord make_record(const std::array<std::uint8_t, 32>& id, std::uint64_t seq, std::uint64_t issued_ms,
                       const std::vector<std::string>& endpoints, const SignFn& sign) {
  PeerRecord r;
  r.id = id;
  r.seq = seq;
  r.issued_ms = issued_ms;
  for (const auto& e : endpoints) {
    if (r.endpoints.size() >= kMaxRecordEndpoints) break;
    if (!valid_uri(e)) continue;
    r.endpoints.push_back({e, endpoint_hash(e)});
  }
  r.signature = sign(r.signed_bytes());
  return r;
}

std::optional<PeerRecord> decode_record(const std::uint8_t* data, std::size_t len, const VerifyFn& verify,
                                        std::string& why) {
  auto rec = parse_record(data, len, why);
  if (rec && !verify_record(*rec, verify)) {
    why = "bad signature";
    return std::nullopt;
  }
  return rec;
}

bool verify_record(const PeerRecord& rec, const VerifyFn& verify) {
  return verify && verify(rec.id, rec.signed_bytes(), rec.signature);
}

std::optional<PeerRecord> parse_record(const std::uint8_t* data, std::size_t len, std::string& why) {
  if (len > kMaxRecordBytes) {
    why = "record of " + std::to_string(len) + " bytes (max " + std::to_string(kMaxRecordBytes) + ")";
    return std::nullopt;
  }
  wire::Reader r(data, len);
  PeerRecord rec;
  if (auto v = r.u8(); r.ok() && v != kVersion) {
    why = "record version " + std::to_string(v);
    return std::nullopt;
  }
  auto id = r.bytes(32);
  if (r.ok()) std::copy(id.begin(), id.end(), rec.id.begin());
  rec.seq = r.u64();
  rec.issued_ms = r.u64();
  const std::size_t n = r.u8();
  if (r.ok() && n > kMaxRecordEndpoints) {
    why = std::to_string(n) + " endpoints (max 8)";
    return std::nullopt;
  }
  for (std::size_t i = 0; r.ok() && i < n; ++i) {
    PeerRecord::Endpoint e;
    const auto kind = r.u8();
    if (kind == 0) {
      auto uri = r.str16(255);
      if (r.ok() && !valid_uri(uri)) {
        why = "endpoint is not a URI";
        return std::nullopt;
      }
      e.uri = std::string(uri);
      e.hash = endpoint_hash(uri);
    } else if (kind == 1) {
      auto h = r.bytes(16);
      if (r.ok()) std::copy(h.begin(), h.end(), e.hash.begin());
    } else if (r.ok()) {
      why = "endpoint kind " + std::to_string(kind);
      return std::nullopt;
    }
    rec.endpoints.push_back(std::move(e));
  }
  auto sig = r.bytes(64);
  if (!r.ok()) {
    why = "truncated record";
    return std::nullopt;
  }
  if (!r.at_end()) {
    why = "trailing bytes after the record";
    return std::nullopt;
  }
  std::copy(sig.begin(), sig.end(), rec.signature.begin());
  return rec;
}

}  // namespace butter::knownhosts
