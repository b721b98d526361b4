// Encoding and bounds-checked decoding of /butter/pcg/1 messages (format in messages.hpp).
#include "messages.hpp"

#include <butter/wire.hpp>

#include <algorithm>

namespace butter::pcg {

const char* type_name(MsgType t) {
  switch (t) {
    case MsgType::Heartbeat:
      return "heartbeat";
    case MsgType::ViewUpdate:
      return "view";
    case MsgType::Recruit:
      return "recruit";
    case MsgType::RecruitAck:
      return "recruit_ack";
    case MsgType::Fetch:
      return "fetch";
    case MsgType::Block:
      return "block";
    case MsgType::Locate:
      return "locate";
    case MsgType::Located:
      return "located";
    case MsgType::Have:
      return "have";
    case MsgType::Challenge:
      return "challenge";
    case MsgType::Proof:
      return "proof";
  }
  return "?";
}

namespace {

// Writes nothing, counts what a wire::Writer would write: the size of an answer is known (and
// charged to the asker's serve rate, engine_get.cpp) before the answer is built.
class ByteCounter {
 public:
  void u8(std::uint8_t) { n_ += 1; }
  void u16(std::uint16_t) { n_ += 2; }
  void u32(std::uint32_t) { n_ += 4; }
  void u64(std::uint64_t) { n_ += 8; }
  void bytes(const void*, std::size_t n) { n_ += n; }
  void str16(std::string_view s) { n_ += 2 + s.size(); }
  std::size_t size() const { return n_; }

 private:
  std::size_t n_ = 0;
};

template <class W>
void put_hash(W& w, const Hash& h) {
  w.bytes(h.data(), h.size());
}

template <class W>
void put_view(W& w, const View& v) {
  w.u64(v.version);
  const std::size_t n = std::min(v.members.size(), kMaxMembers);
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const Member& m = v.members[i];
    put_hash(w, m.id);
    std::vector<const std::string*> eps;
    for (const auto& e : m.endpoints)
      if (e.size() <= kMaxEndpointLen && eps.size() < kMaxEndpoints) eps.push_back(&e);
    w.u8(static_cast<std::uint8_t>(eps.size()));
    for (const auto* e : eps) w.str16(*e);
  }
}

template <class W>
void put_blob(W& w, const std::vector<std::uint8_t>& b) {
  w.u32(static_cast<std::uint32_t>(b.size()));
  w.bytes(b.data(), b.size());
}

bool get_hash(wire::Reader& r, Hash& h) {
  auto b = r.bytes(32);
  if (!r.ok()) return false;
  std::copy(b.begin(), b.end(), h.begin());
  return true;
}

bool get_view(wire::Reader& r, View& v, std::string& why) {
  v.version = r.u64();
  const std::uint8_t n = r.u8();
  if (!r.ok()) return false;
  if (n > kMaxMembers) {
    why = "view has too many members";
    return false;
  }
  v.members.clear();
  for (std::uint8_t i = 0; i < n; ++i) {
    Member m;
    if (!get_hash(r, m.id)) return false;
    const std::uint8_t k = r.u8();
    if (k > kMaxEndpoints) {
      why = "member has too many endpoints";
      return false;
    }
    for (std::uint8_t j = 0; j < k; ++j) {
      auto e = r.str16(kMaxEndpointLen);
      if (!r.ok()) return false;
      m.endpoints.emplace_back(e);
    }
    if (!v.members.empty() && !(v.members.back().id < m.id)) {
      why = "view members not sorted or repeated";
      return false;
    }
    v.members.push_back(std::move(m));
  }
  return r.ok();
}

bool get_blob(wire::Reader& r, std::vector<std::uint8_t>& out, std::size_t max, std::string& why) {
  const std::uint32_t n = r.u32();
  if (!r.ok()) return false;
  if (n > max) {
    why = "blob too large";
    return false;
  }
  const auto b = r.octets(n);
  if (!r.ok()) return false;
  out.assign(b.begin(), b.end());
  return true;
}

// A challenge names a range a block can have: mode 0 a non-empty range inside the largest block,
// mode 1 (the whole block) no range at all. Whether the range fits the object's own block is
// checked against its manifest by the prover.
bool challenge_range_ok(const Message& m, std::string& why) {
  if (m.mode == 0) {
    if (m.length == 0 || m.length > kMaxBlockBytes || m.offset > kMaxBlockBytes - m.length) {
      why = "challenge range out of bounds";
      return false;
    }
    return true;
  }
  if (m.mode == 1) {
    if (m.offset != 0 || m.length != 0) {
      why = "whole-block challenge with a range";
      return false;
    }
    return true;
  }
  why = "unknown challenge mode " + std::to_string(m.mode);
  return false;
}

// The one layout both encode() and encoded_size() follow.
template <class W>
void write_message(W& w, const Message& m) {
  w.u8(kWireVersion);
  w.u8(static_cast<std::uint8_t>(m.type));
  switch (m.type) {
    case MsgType::Heartbeat:
      w.u16(static_cast<std::uint16_t>(std::min(m.entries.size(), kMaxHeartbeatEntries)));
      for (std::size_t i = 0; i < m.entries.size() && i < kMaxHeartbeatEntries; ++i) {
        put_hash(w, m.entries[i].object);
        w.u8(m.entries[i].complete ? 1 : 0);
        put_view(w, m.entries[i].view);
      }
      break;
    case MsgType::ViewUpdate:
      put_hash(w, m.object);
      put_view(w, m.view);
      break;
    case MsgType::Recruit:
      put_hash(w, m.object);
      put_view(w, m.view);
      put_blob(w, m.manifest);
      w.u8(m.sponsor ? 1 : 0);
      if (m.sponsor) put_hash(w, *m.sponsor);
      break;
    case MsgType::RecruitAck:
      put_hash(w, m.object);
      w.u64(m.number);
      w.u32(static_cast<std::uint32_t>(m.status));
      w.str16(m.reason.size() > 1024 ? std::string_view(m.reason).substr(0, 1024) : std::string_view(m.reason));
      break;
    case MsgType::Fetch:
      put_hash(w, m.object);
      w.u32(m.index);
      break;
    case MsgType::Block:
      put_hash(w, m.object);
      w.u32(m.index);
      w.u32(static_cast<std::uint32_t>(m.status));
      put_blob(w, m.data);
      break;
    case MsgType::Locate:
      put_hash(w, m.object);
      w.u64(m.number);
      break;
    case MsgType::Located:
      put_hash(w, m.object);
      w.u64(m.number);
      w.u32(static_cast<std::uint32_t>(m.status));
      put_view(w, m.view);
      put_blob(w, m.manifest);
      break;
    case MsgType::Have:
      put_hash(w, m.object);
      w.u64(m.number);
      break;
    case MsgType::Challenge:
      put_hash(w, m.object);
      w.u64(m.number);
      w.u32(m.index);
      w.u32(m.offset);
      w.u32(m.length);
      w.u8(m.mode);
      break;
    case MsgType::Proof:
      put_hash(w, m.object);
      w.u64(m.number);
      w.u32(static_cast<std::uint32_t>(m.status));
      put_blob(w, m.data);
      break;
  }
}

}  // namespace

std::vector<std::uint8_t> encode(const Message& m) {
  wire::Writer w;
  write_message(w, m);
  return w.take();
}

std::size_t encoded_size(const Message& m) {
  ByteCounter c;
  write_message(c, m);
  return c.size();
}

std::optional<Message> decode(std::span<const std::uint8_t> bytes, std::string& why) {
  wire::Reader r(bytes.data(), bytes.size());
  const std::uint8_t version = r.u8();
  const std::uint8_t type = r.u8();
  if (!r.ok()) {
    why = "truncated header";
    return std::nullopt;
  }
  if (version != kWireVersion) {
    why = "unknown wire version " + std::to_string(version);
    return std::nullopt;
  }
  Message m;
  bool ok = false;
  switch (type) {
    case 1: {
      m.type = MsgType::Heartbeat;
      const std::uint16_t n = r.u16();
      if (n > kMaxHeartbeatEntries) {
        why = "too many heartbeat entries";
        return std::nullopt;
      }
      ok = r.ok();
      for (std::uint16_t i = 0; i < n && ok; ++i) {
        HeartbeatEntry e;
        ok = get_hash(r, e.object);
        const std::uint8_t flags = r.u8();
        e.complete = (flags & 1) != 0;
        ok = ok && r.ok() && get_view(r, e.view, why);
        if (ok) m.entries.push_back(std::move(e));
      }
      break;
    }
    case 2:
      m.type = MsgType::ViewUpdate;
      ok = get_hash(r, m.object) && get_view(r, m.view, why);
      break;
    case 3:
      m.type = MsgType::Recruit;
      ok = get_hash(r, m.object) && get_view(r, m.view, why) && get_blob(r, m.manifest, kMaxManifestBytes, why);
      if (ok) {
        const std::uint8_t has = r.u8();
        if (has > 1) {
          why = "recruit sponsor flag must be 0 or 1";
          ok = false;
        } else if (has == 1) {
          m.sponsor.emplace();
          ok = get_hash(r, *m.sponsor);
        }
        ok = ok && r.ok();
      }
      break;
    case 4: {
      m.type = MsgType::RecruitAck;
      ok = get_hash(r, m.object);
      m.number = r.u64();
      m.status = static_cast<std::int32_t>(r.u32());
      m.reason = std::string(r.str16(1024));
      ok = ok && r.ok();
      break;
    }
    case 5:
      m.type = MsgType::Fetch;
      ok = get_hash(r, m.object);
      m.index = r.u32();
      ok = ok && r.ok();
      break;
    case 6:
      m.type = MsgType::Block;
      ok = get_hash(r, m.object);
      m.index = r.u32();
      m.status = static_cast<std::int32_t>(r.u32());
      ok = ok && r.ok() && get_blob(r, m.data, kMaxBlockBytes, why);
      break;
    case 7:
      m.type = MsgType::Locate;
      ok = get_hash(r, m.object);
      m.number = r.u64();
      ok = ok && r.ok();
      break;
    case 8:
      m.type = MsgType::Located;
      ok = get_hash(r, m.object);
      m.number = r.u64();
      m.status = static_cast<std::int32_t>(r.u32());
      ok = ok && r.ok() && get_view(r, m.view, why) && get_blob(r, m.manifest, kMaxManifestBytes, why);
      break;
    case 9:
      m.type = MsgType::Have;
      ok = get_hash(r, m.object);
      m.number = r.u64();
      ok = ok && r.ok();
      break;
    case 10: {
      m.type = MsgType::Challenge;
      ok = get_hash(r, m.object);
      m.number = r.u64();
      m.index = r.u32();
      m.offset = r.u32();
      m.length = r.u32();
      m.mode = r.u8();
      ok = ok && r.ok();
      if (ok && !challenge_range_ok(m, why)) return std::nullopt;
      break;
    }
    case 11:
      m.type = MsgType::Proof;
      ok = get_hash(r, m.object);
      m.number = r.u64();
      m.status = static_cast<std::int32_t>(r.u32());
      ok = ok && r.ok() && get_blob(r, m.data, kMaxBlockBytes, why);
      break;
    default:
      why = "unknown message type " + std::to_string(type);
      return std::nullopt;
  }
  if (!ok || !r.ok()) {
    if (why.empty()) why = std::string("truncated ") + type_name(m.type);
    return std::nullopt;
  }
  if (!r.at_end()) {
    why = std::string("trailing bytes after ") + type_name(m.type);
    return std::nullopt;
  }
  return m;
}

}  // namespace butter::pcg
