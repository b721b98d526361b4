// Encoding and bounds-checked decoding of the /butter/dbfs/1 messages (see messages.hpp, README).
#include "messages.hpp"

#include <butter/wire.hpp>

namespace butter::dbfs {

std::string QueryId::hex() const {
  wire::Writer w;  // big-endian: hi's digits first
  w.u64(hi);
  w.u64(lo);
  return wire::to_hex(w.data());
}

std::string fold_case(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

namespace {

void header(wire::Writer& w, MsgType t, const QueryId& id, std::uint8_t version = kVersion) {
  w.u8(version);
  w.u8(static_cast<std::uint8_t>(t));
  w.u64(id.hi);
  w.u64(id.lo);
}

// Whether `version` is one this codec reads for message type `t`.
bool known_version(std::uint8_t t, std::uint8_t version) {
  if (version == kVersion) return true;
  return version == kQueryVersionBudget && t == static_cast<std::uint8_t>(MsgType::Query);
}

// Reads the header; fails unless it is `want`. `version` receives the version byte.
bool read_header(wire::Reader& r, MsgType want, QueryId& id, std::string& why, std::uint8_t* version = nullptr) {
  const std::uint8_t v = r.u8();
  const std::uint8_t t = r.u8();
  id.hi = r.u64();
  id.lo = r.u64();
  if (!r.ok()) return why = "truncated header", false;
  if (!known_version(t, v)) return why = "unsupported version " + std::to_string(v), false;
  if (version) *version = v;
  if (t != static_cast<std::uint8_t>(want)) return why = "unexpected type", false;
  return true;
}

bool read_strings(wire::Reader& r, std::size_t max_count, std::size_t max_len, std::vector<std::string>& out,
                  const char* what, std::string& why) {
  const std::uint16_t n = r.u16();
  if (!r.ok()) return why = std::string("truncated ") + what + " count", false;
  if (n > max_count) return why = std::string("too many ") + what + " (" + std::to_string(n) + ")", false;
  out.reserve(n);
  for (std::uint16_t i = 0; i < n; ++i) {
    std::string_view s = r.str16(max_len);
    if (!r.ok()) return why = std::string("truncated or oversized ") + what, false;
    out.emplace_back(s);
  }
  return true;
}

void write_strings(wire::Writer& w, const std::vector<std::string>& v, std::size_t max_count, std::size_t max_len) {
  const std::size_t n = std::min(v.size(), max_count);
  w.u16(static_cast<std::uint16_t>(n));
  for (std::size_t i = 0; i < n; ++i) w.str16(std::string_view(v[i]).substr(0, max_len));
}

bool finish(const wire::Reader& r, std::string& why) {
  if (!r.ok()) return why = "truncated", false;
  if (!r.at_end()) return why = "trailing bytes", false;
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode(const Query& q) {
  wire::Writer w;
  header(w, MsgType::Query, q.id, q.budget ? kQueryVersionBudget : kVersion);
  w.u8(static_cast<std::uint8_t>(q.kind));
  w.u8(q.ttl);
  w.u8(q.hops);
  w.u16(q.max_results);
  if (q.budget) w.u16(*q.budget);
  write_strings(w, q.terms, kMaxTerms, kMaxTermLen);
  return w.take();
}

std::vector<std::uint8_t> encode(const Hits& h) {
  wire::Writer w;
  header(w, MsgType::Hits, h.id);
  w.u8(h.hops);
  const std::size_t n = std::min(h.hits.size(), kMaxHitsPerMessage);
  w.u16(static_cast<std::uint16_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const Hit& x = h.hits[i];
    w.str16(x.object_id.substr(0, kMaxTermLen));
    w.str16(x.node_id.substr(0, kMaxTermLen));
    write_strings(w, x.endpoints, kMaxEndpoints, 255);
    write_strings(w, x.keywords, kMaxKeywords, kMaxTermLen);
  }
  return w.take();
}

std::vector<std::uint8_t> encode(const Extend& e) {
  wire::Writer w;
  header(w, MsgType::Extend, e.id);
  w.u8(e.ttl);
  return w.take();
}

std::optional<MsgType> peek_type(const std::uint8_t* data, std::size_t len, std::string& why) {
  if (len > kMaxProofMessageBytes) return why = "message too large", std::nullopt;
  wire::Reader r(data, len);
  const std::uint8_t v = r.u8();
  const std::uint8_t t = r.u8();
  if (!r.ok()) return why = "truncated header", std::nullopt;
  if (v != kVersion && v != kQueryVersionBudget) return why = "unsupported version " + std::to_string(v), std::nullopt;
  if (t < 1 || t > 7) return why = "unknown message type " + std::to_string(t), std::nullopt;
  if (t != static_cast<std::uint8_t>(MsgType::Proof) && len > kMaxMessageBytes)
    return why = "message too large", std::nullopt;
  if (!known_version(t, v)) return why = "unsupported version " + std::to_string(v) + " for this type", std::nullopt;
  return static_cast<MsgType>(t);
}

std::optional<Query> decode_query(const std::uint8_t* data, std::size_t len, std::string& why) {
  if (len > kMaxMessageBytes) return why = "message too large", std::nullopt;
  wire::Reader r(data, len);
  Query q;
  std::uint8_t version = 0;
  if (!read_header(r, MsgType::Query, q.id, why, &version)) return std::nullopt;
  const std::uint8_t kind = r.u8();
  q.ttl = r.u8();
  q.hops = r.u8();
  q.max_results = r.u16();
  if (version == kQueryVersionBudget) q.budget = r.u16();
  if (!r.ok()) return why = "truncated query", std::nullopt;
  if (kind != 1 && kind != 2) return why = "unknown query kind " + std::to_string(kind), std::nullopt;
  q.kind = static_cast<QueryKind>(kind);
  if (!read_strings(r, kMaxTerms, kMaxTermLen, q.terms, "terms", why)) return std::nullopt;
  if (!finish(r, why)) return std::nullopt;
  if (q.terms.empty()) return why = "no terms", std::nullopt;
  for (const auto& t : q.terms)
    if (t.empty()) return why = "empty term", std::nullopt;
  if (q.kind == QueryKind::Object && q.terms.size() != 1) return why = "object query with several terms", std::nullopt;
  return q;
}

std::optional<Hits> decode_hits(const std::uint8_t* data, std::size_t len, std::string& why) {
  if (len > kMaxMessageBytes) return why = "message too large", std::nullopt;
  wire::Reader r(data, len);
  Hits h;
  if (!read_header(r, MsgType::Hits, h.id, why)) return std::nullopt;
  h.hops = r.u8();
  const std::uint16_t n = r.u16();
  if (!r.ok()) return why = "truncated hits", std::nullopt;
  if (n == 0 || n > kMaxHitsPerMessage) return why = "bad hit count " + std::to_string(n), std::nullopt;
  h.hits.resize(n);
  for (auto& x : h.hits) {
    x.object_id = std::string(r.str16(kMaxTermLen));
    x.node_id = std::string(r.str16(kMaxTermLen));
    if (!r.ok()) return why = "truncated or oversized hit", std::nullopt;
    if (x.object_id.empty() || x.node_id.empty()) return why = "empty object or node id", std::nullopt;
    if (!read_strings(r, kMaxEndpoints, 255, x.endpoints, "endpoints", why)) return std::nullopt;
    if (!read_strings(r, kMaxKeywords, kMaxTermLen, x.keywords, "keywords", why)) return std::nullopt;
  }
  if (!finish(r, why)) return std::nullopt;
  return h;
}

std::optional<Extend> decode_extend(const std::uint8_t* data, std::size_t len, std::string& why) {
  if (len > kMaxMessageBytes) return why = "message too large", std::nullopt;
  wire::Reader r(data, len);
  Extend e;
  if (!read_header(r, MsgType::Extend, e.id, why)) return std::nullopt;
  e.ttl = r.u8();
  if (!finish(r, why)) return std::nullopt;
  return e;
}

std::vector<std::uint8_t> encode(const Prove& p) {
  wire::Writer w;
  header(w, MsgType::Prove, p.nonce);
  w.str16(std::string_view(p.object_id).substr(0, kMaxTermLen));
  return w.take();
}

std::vector<std::uint8_t> encode(const Proof& p) {
  wire::Writer w;
  header(w, MsgType::Proof, p.nonce);
  w.u8(static_cast<std::uint8_t>(p.status));
  const std::size_t m = std::min(p.manifest.size(), kMaxProofManifest);
  const std::size_t b = std::min(p.block.size(), kMaxProofBlock);
  w.u32(static_cast<std::uint32_t>(m));
  w.bytes(p.manifest.data(), m);
  w.u32(static_cast<std::uint32_t>(b));
  w.bytes(p.block.data(), b);
  return w.take();
}

std::optional<Prove> decode_prove(const std::uint8_t* data, std::size_t len, std::string& why) {
  if (len > kMaxMessageBytes) return why = "message too large", std::nullopt;
  wire::Reader r(data, len);
  Prove p;
  if (!read_header(r, MsgType::Prove, p.nonce, why)) return std::nullopt;
  p.object_id = std::string(r.str16(kMaxTermLen));
  if (!finish(r, why)) return std::nullopt;
  if (p.object_id.empty()) return why = "empty object id", std::nullopt;
  return p;
}

std::optional<Proof> decode_proof(const std::uint8_t* data, std::size_t len, std::string& why) {
  if (len > kMaxProofMessageBytes) return why = "message too large", std::nullopt;
  wire::Reader r(data, len);
  Proof p;
  if (!read_header(r, MsgType::Proof, p.nonce, why)) return std::nullopt;
  const std::uint8_t status = r.u8();
  if (!r.ok()) return why = "truncated proof", std::nullopt;
  if (status > static_cast<std::uint8_t>(ProofStatus::Busy))
    return why = "unknown proof status " + std::to_string(status), std::nullopt;
  p.status = static_cast<ProofStatus>(status);
  const std::uint32_t m = r.u32();
  if (!r.ok() || m > kMaxProofManifest || m > r.remaining())
    return why = "truncated or oversized manifest", std::nullopt;
  const auto mb = r.octets(m);
  p.manifest.assign(mb.begin(), mb.end());
  const std::uint32_t b = r.u32();
  if (!r.ok() || b > kMaxProofBlock || b > r.remaining()) return why = "truncated or oversized block", std::nullopt;
  const auto bb = r.octets(b);
  p.block.assign(bb.begin(), bb.end());
  if (!finish(r, why)) return std::nullopt;
  if (p.status != ProofStatus::Ok && (m || b)) return why = "a refusal with a proof attached", std::nullopt;
  return p;
}

}  // namespace butter::dbfs

namespace butter::dbfs {

std::vector<std::uint8_t> encode_link() {
  wire::Writer w;
  header(w, MsgType::Link, QueryId{});
  return w.take();
}

bool decode_link(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  QueryId id;
  if (!read_header(r, MsgType::Link, id, why)) return false;
  return finish(r, why);
}

std::vector<std::uint8_t> encode_unlink(UnlinkKind kind) {
  wire::Writer w;
  header(w, MsgType::Unlink, QueryId{0, static_cast<std::uint64_t>(kind)});
  return w.take();
}

std::optional<UnlinkKind> decode_unlink(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  QueryId id;
  if (!read_header(r, MsgType::Unlink, id, why) || !finish(r, why)) return std::nullopt;
  // Any other id reads as a refusal, what every node before the withdrawal meant by UNLINK.
  return id.hi == 0 && id.lo == static_cast<std::uint64_t>(UnlinkKind::Withdrawn) ? UnlinkKind::Withdrawn
                                                                                  : UnlinkKind::Refused;
}

}  // namespace butter::dbfs

namespace butter::dbfs {

namespace {
constexpr std::string_view kStateTag = "ir-dbfs-state/1\n";
}

std::string encode_state(const SavedState& st) {
  wire::Writer w;
  w.u32(static_cast<std::uint32_t>(st.annotations.size()));
  for (const auto& [id, kws] : st.annotations) {
    w.str16(std::string_view(id).substr(0, kMaxTermLen));
    write_strings(w, kws, kMaxKeywords, kMaxTermLen);
  }
  write_strings(w, st.outbound, 256, kMaxTermLen);
  const auto& d = w.data();
  return std::string(kStateTag) + std::string(d.begin(), d.end());
}

std::optional<SavedState> decode_state(std::string_view bytes, std::string& why) {
  if (bytes.substr(0, kStateTag.size()) != kStateTag) return why = "not an ir-dbfs-state/1 state", std::nullopt;
  bytes.remove_prefix(kStateTag.size());
  wire::Reader r(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  SavedState st;
  const std::uint32_t n = r.u32();
  if (!r.ok() || n > bytes.size()) return why = "bad annotation count", std::nullopt;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string id(r.str16(kMaxTermLen));
    std::vector<std::string> kws;
    if (!r.ok() || !read_strings(r, kMaxKeywords, kMaxTermLen, kws, "keywords", why)) {
      if (why.empty()) why = "truncated annotation";
      return std::nullopt;
    }
    st.annotations.emplace_back(std::move(id), std::move(kws));
  }
  if (!read_strings(r, 256, kMaxTermLen, st.outbound, "neighbours", why)) return std::nullopt;
  if (!finish(r, why)) return std::nullopt;
  return st;
}

}  // namespace butter::dbfs
