// PeerRecord codec: bounds-checked decoding, endpoint hashing (libsodium BLAKE2b) and signatures
// through the caller's sign/verify (the host's butter.identity/1 in the plugin, libsodium in tests).
#include "peer_record.hpp"

#include "compact_wire.hpp"

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

std::vector<std::uint8_t> PeerRecord::encode(const std::function<bool(std::string_view uri)>& keep,
                                             std::uint8_t version) const {
  wire::Writer w;
  if (version == kRecordV2) {
    w.u8(kRecordV2);
    w.bytes(id.data(), id.size());
    put_varint(w, issued_ms);
    // seq is max(previous + 1, unix ms) and issued_ms that unix ms: their difference is small. The
    // zigzag of the wrapping difference represents any pair (a seq below issued_ms too).
    const auto d = static_cast<std::int64_t>(seq - issued_ms);
    put_varint(w, (static_cast<std::uint64_t>(d) << 1) ^ static_cast<std::uint64_t>(d >> 63));
    w.u8(static_cast<std::uint8_t>(endpoints.size()));
  } else {
    write_head(w, *this);
  }
  for (const auto& e : endpoints) {
    if (e.uri && (!keep || keep(*e.uri))) {
      if (version == kRecordV2) {
        put_endpoint(w, *e.uri);
      } else {
        w.u8(0);
        w.str16(*e.uri);
      }
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
  const auto version = r.u8();
  if (r.ok() && version != kRecordV1 && version != kRecordV2) {
    why = "record version " + std::to_string(version);
    return std::nullopt;
  }
  auto id = r.bytes(32);
  if (r.ok()) std::copy(id.begin(), id.end(), rec.id.begin());
  if (version == kRecordV2) {
    std::uint64_t zz = 0;
    if (r.ok() && (!get_varint(r, rec.issued_ms) || !get_varint(r, zz))) {
      why = "truncated or overlong varint in record";
      return std::nullopt;
    }
    rec.seq = rec.issued_ms + ((zz >> 1) ^ (~(zz & 1) + 1));  // wraps as the encoder's difference did
  } else {
    rec.seq = r.u64();
    rec.issued_ms = r.u64();
  }
  const std::size_t n = r.u8();
  if (r.ok() && n > kMaxRecordEndpoints) {
    why = std::to_string(n) + " endpoints (max 8)";
    return std::nullopt;
  }
  for (std::size_t i = 0; r.ok() && i < n; ++i) {
    PeerRecord::Endpoint e;
    const auto kind = r.u8();
    if (!r.ok()) break;
    if (kind == 1) {
      auto h = r.bytes(16);
      if (r.ok()) std::copy(h.begin(), h.end(), e.hash.begin());
    } else {
      std::optional<std::string> uri;
      if (version == kRecordV2) {
        std::string bad;
        uri = get_endpoint(r, kind, bad);
        if (!uri && r.ok()) {
          why = bad;
          return std::nullopt;
        }
      } else if (kind == 0) {
        uri = std::string(r.str16(255));
      } else {
        why = "endpoint kind " + std::to_string(kind);
        return std::nullopt;
      }
      if (r.ok() && (!uri || !valid_uri(*uri))) {
        why = "endpoint is not a URI";
        return std::nullopt;
      }
      if (uri) {
        e.hash = endpoint_hash(*uri);
        e.uri = std::move(uri);
      }
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
