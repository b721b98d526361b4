#include "transport/secure_channel.hpp"
#include "transport/partial_capacity.hpp"

#include "transport/noise_xx.hpp"
#include "transport/read_buffer.hpp"

#include <butter/wire.hpp>
#include <sodium.h>

#include <cstring>

namespace butter::host {

namespace {

using noise::HandshakeXX;
constexpr std::size_t kHashLen = noise::kHashLen;
constexpr std::size_t kMaxHandshakeMessage = 1024;
constexpr char kPrologue[] = "butter/secure/1";
constexpr char kSignContext[] = "butter/secure/1 id";
constexpr std::uint8_t kMagic[4] = {'B', 'U', 'T', 'R'};
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kModeNoise = 0, kModePlaintext = 1;
// Ed25519 public key + signature.
constexpr std::size_t kPayloadBytes = 32 + Identity::kSignatureBytes;

void put_u16(std::vector<std::uint8_t>& v, std::size_t n) {
  v.resize(v.size() + 2);
  wire::put_u16(v.data() + v.size() - 2, static_cast<std::uint16_t>(n));
}

// Why the tokens of handshake message `message` failed.
std::string token_error(HandshakeXX::Result r, int message) {
  switch (r) {
    case HandshakeXX::Result::kBadEphemeral:
      return "peer's ephemeral key is a low-order point";
    case HandshakeXX::Result::kBadStatic:
      return "peer's static key is a low-order point";
    case HandshakeXX::Result::kAuth:
      return "handshake message " + std::to_string(message) + " failed authentication";
    default:
      return "handshake message " + std::to_string(message) + " could not be processed";
  }
}

}  // namespace

SecureChannel::SecureChannel(std::shared_ptr<const Identity> identity, bool initiator, bool plaintext)
    : identity_(std::move(identity)), initiator_(initiator), plaintext_(plaintext) {
  if (sodium_init() < 0) fail("libsodium failed to initialise");
  if (!plaintext_ && !identity_) fail("no identity for an encrypted channel");
}

SecureChannel::~SecureChannel() = default;

bool SecureChannel::fail(std::string why, bool auth) {
  if (state_ != State::kFailed) {
    state_ = State::kFailed;
    error_ = std::move(why);
    auth_failure_ = auth;
    inbox_.clear();
  }
  return false;
}

std::vector<std::uint8_t> SecureChannel::start() {
  std::vector<std::uint8_t> wire;
  if (state_ != State::kNew) return wire;
  state_ = State::kPreamble;
  wire.insert(wire.end(), kMagic, kMagic + 4);
  wire.push_back(kVersion);
  wire.push_back(plaintext_ ? kModePlaintext : kModeNoise);
  wire.push_back(0);
  wire.push_back(0);
  if (!plaintext_) {
    auto s_pub = identity_->x25519_public();
    auto s_sec = identity_->x25519_secret();
    const std::span<const std::uint8_t> prologue(reinterpret_cast<const std::uint8_t*>(kPrologue),
                                                 sizeof kPrologue - 1);
    hs_ = std::make_unique<HandshakeXX>(initiator_, prologue, s_pub, s_sec);
    sodium_memzero(s_sec.data(), s_sec.size());
    if (initiator_) write_message1(wire);
  }
  return wire;
}

bool SecureChannel::on_preamble(std::span<const std::uint8_t> p) {
  if (std::memcmp(p.data(), kMagic, 4) != 0)
    return fail("peer did not open with the secure-transport preamble (an older node, or not a Butter node?)");
  if (p[4] != kVersion)
    return fail("peer speaks secure-transport version " + std::to_string(p[4]) + ", this node " +
                std::to_string(kVersion));
  if (p[5] != kModeNoise && p[5] != kModePlaintext) return fail("peer asks for unknown mode " + std::to_string(p[5]));
  // Version 1 reserves bytes 6 and 7 as zero. The preamble is not part of the Noise prologue (the
  // initiator sends it before it has the responder's), so a field that may vary would be open to
  // tampering in transit; fixed values are not: any change fails here.
  if (p[6] != 0 || p[7] != 0) return fail("peer's preamble has non-zero reserved bytes (tampered, or a newer version)");
  const bool peer_plain = p[5] == kModePlaintext;
  if (peer_plain && !plaintext_)
    return fail("peer runs in plaintext mode (insecure_plaintext) but this node requires encryption");
  if (!peer_plain && plaintext_)
    return fail("peer requires encryption but this node runs in plaintext mode (insecure_plaintext)");
  state_ = plaintext_ ? State::kEstablished : State::kHandshake;
  return true;
}

std::size_t SecureChannel::unit_size(std::span<const std::uint8_t> p) {
  switch (state_) {
    case State::kPreamble:
      return kPreambleBytes;
    case State::kHandshake: {
      if (p.size() < 2) return 2;
      const std::size_t len = wire::get_u16(p.data());
      if (len > kMaxHandshakeMessage) {
        fail("handshake message of " + std::to_string(len) + " bytes");
        return 0;
      }
      return 2 + len;
    }
    case State::kEstablished: {
      if (plaintext_) return p.empty() ? 1 : p.size();
      if (p.size() < 4) return 4;
      const std::size_t len = wire::get_u32(p.data());
      if (len & kClearSegmentBit) {
        const std::size_t n = len & ~std::size_t{kClearSegmentBit};
        if (n == 0 || n > kMaxRecordPlaintext) {
          fail("clear segment length " + std::to_string(n) + " out of bounds");
          return 0;
        }
        return 4 + n;
      }
      if (len < kTagBytes || len > kMaxRecordPlaintext + kTagBytes) {
        fail("record length " + std::to_string(len) + " out of bounds");
        return 0;
      }
      return 4 + len;
    }
    default:
      return 0;
  }
}

bool SecureChannel::on_unit(std::span<std::uint8_t> u, std::vector<std::uint8_t>& wire, const PlainSink& sink,
                            bool& stop, Run* run, std::size_t headroom) {
  // Anything but a record goes after the plaintext before it.
  const bool record = state_ == State::kEstablished && !plaintext_ && (u[0] & 0x80) == 0;
  if (run && !record && !flush_run(*run, sink)) {
    stop = true;
    return true;
  }
  switch (state_) {
    case State::kPreamble:
      return on_preamble(u);
    case State::kHandshake:
      return on_handshake_message(u.subspan(2), wire);
    case State::kEstablished:
      if (plaintext_) {
        stop = !sink(u, false, 0);
        return true;
      }
      if (u[0] & 0x80) {  // a clear segment (unit_size checked its length); its header is free too
        stop = !sink(u.subspan(4), true, headroom + 4);
        return true;
      }
      return on_record(u.subspan(4), sink, stop, run);
    default:
      return false;
  }
}

bool SecureChannel::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& wire,
                         std::vector<std::uint8_t>& plain) {
  // Tests and tools: a copy that may be decrypted in place, the plaintext appended to `plain`.
  // A clear segment has no frame decoder here to place it: this path refuses it.
  std::vector<std::uint8_t> copy(in.begin(), in.end());
  bool clear_seen = false;
  const bool ok = feed_in_place(copy, wire, [&plain, &clear_seen](std::span<std::uint8_t> p, bool clear, std::size_t) {
    if (clear) {
      clear_seen = true;
      return false;
    }
    plain.insert(plain.end(), p.begin(), p.end());
    return true;
  });
  if (clear_seen) return fail("a clear segment where only records are taken");
  return ok;
}

bool SecureChannel::feed_in_place(std::span<std::uint8_t> in, std::vector<std::uint8_t>& wire, const PlainSink& sink) {
  if (state_ == State::kFailed) return false;
  if (state_ == State::kNew) return fail("bytes fed before start()");
  bool stop = false;
  // What of `in` lies before the unit at hand was handed on (or copied into inbox_): a clear
  // segment's sink may overwrite it (PlainSink's headroom).
  const std::uint8_t* const base = in.data();
  // Complete units (preamble, handshake message, record) are processed where they lie in `in`;
  // only a unit cut by the end of `in` is copied, into inbox_, and only up to its own end. A
  // unit's size is checked as soon as its length field is here.
  while (!inbox_.empty()) {
    const std::size_t need = unit_size(inbox_);  // grows once the length field is complete
    if (need == 0) return false;
    if (inbox_.size() < need) {
      if (in.empty()) break;
      const std::size_t take = std::min(need - inbox_.size(), in.size());
      // Lazily, as FrameDecoder does: a peer that sends a record's length and then trickles
      // makes this node hold about what it sent, not the declared record.
      if (inbox_.size() + take > inbox_.capacity())
        inbox_.reserve(partial_capacity(inbox_.size() + take, need, inbox_.capacity()));
      inbox_.insert(inbox_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
      in = in.subspan(take);
      continue;
    }
    // inbox_ holds exactly this unit (it is topped up only to the unit's end).
    if (!on_unit(std::span<std::uint8_t>(inbox_.data(), need), wire, sink, stop)) return false;
    inbox_.clear();
    if (stop) return true;
  }
  if (inbox_.empty()) {
    Run run;
    while (!in.empty()) {
      const std::size_t need = unit_size(in);
      if (need == 0) {  // failed: what decrypted before the bad length is handed on first
        flush_run(run, sink);
        return false;
      }
      if (in.size() < need) {
        // The whole unit only once half of it is here (partial_capacity): a 4-byte length alone
        // must not reserve a record's 64 KiB.
        inbox_.reserve(partial_capacity(in.size(), need, 0));
        break;
      }
      if (!on_unit(in.first(need), wire, sink, stop, &run, static_cast<std::size_t>(in.data() - base))) return false;
      if (stop) return true;
      in = in.subspan(need);
    }
    if (!flush_run(run, sink)) return true;
    inbox_.insert(inbox_.end(), in.begin(), in.end());
  }
  // An idle channel keeps no record-sized buffer.
  if (inbox_.empty()) release_if_large(inbox_);
  return state_ != State::kFailed;
}

bool SecureChannel::on_record(std::span<std::uint8_t> c, const PlainSink& sink, bool& stop, Run* run) {
  if (!recv_->decrypt_in_place(c)) {
    // What decrypted before the tampered record is handed on first, as it would have been alone.
    if (run && !flush_run(*run, sink)) stop = true;
    return fail("record " + std::to_string(recv_->counter()) + " failed authentication (tampered or corrupted)", true);
  }
  const auto plain = c.first(c.size() - kTagBytes);
  if (!run) {
    stop = !sink(plain, false, 0);
    return true;
  }
  if (run->size > 0 && plain.size() <= run->room) {
    // Back over the length and tag between them (memmove: the two may overlap).
    if (!plain.empty()) std::memmove(run->data + run->size, plain.data(), plain.size());
    run->size += plain.size();
    run->room -= plain.size();
    return true;
  }
  if (!flush_run(*run, sink)) {
    stop = true;
    return true;
  }
  if (plain.empty()) {  // an empty record still reaches the sink (it is activity on the connection)
    stop = !sink(plain, false, 0);
    return true;
  }
  *run = Run{plain.data(), plain.size(), plain.size() / kJoinRatio};
  return true;
}

bool SecureChannel::flush_run(Run& run, const PlainSink& sink) {
  if (run.size == 0) return true;
  const std::span<std::uint8_t> plain(run.data, run.size);
  run = Run{};
  return sink(plain, false, 0);
}

std::size_t SecureChannel::clear_size(std::size_t bytes) {
  return bytes + 4 * ((bytes + kMaxRecordPlaintext - 1) / kMaxRecordPlaintext);
}

void SecureChannel::write_clear_header(std::size_t n, std::uint8_t* out) {
  const std::uint32_t len = kClearSegmentBit | static_cast<std::uint32_t>(n);
  for (int k = 0; k < 4; ++k) out[k] = static_cast<std::uint8_t>(len >> (24 - 8 * k));
}

void SecureChannel::write_clear(std::span<const std::uint8_t> bytes, std::uint8_t* out) {
  while (!bytes.empty()) {
    const std::size_t n = std::min(bytes.size(), kMaxRecordPlaintext);
    write_clear_header(n, out);
    std::memcpy(out + 4, bytes.data(), n);
    out += 4 + n;
    bytes = bytes.subspan(n);
  }
}

bool SecureChannel::seal(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& wire) {
  if (state_ != State::kEstablished) return false;
  if (plaintext_) {
    wire.insert(wire.end(), plain.begin(), plain.end());
    return true;
  }
  const std::size_t at = wire.size();
  wire.resize(at + sealed_size(plain.size()));
  const std::span<const std::uint8_t> one[1] = {plain};
  if (!seal_into(one, wire.data() + at)) {
    wire.resize(at);
    return false;
  }
  return true;
}

std::size_t SecureChannel::sealed_size(std::size_t plain_bytes) const {
  if (plaintext_) return plain_bytes;
  const std::size_t records = (plain_bytes + kMaxRecordPlaintext - 1) / kMaxRecordPlaintext;
  return plain_bytes + records * (4 + kTagBytes);
}

bool SecureChannel::seal_into(std::span<const std::span<const std::uint8_t>> pieces, std::uint8_t* out) {
  if (state_ != State::kEstablished || plaintext_) return false;
  std::size_t i = 0, off = 0;  // the next plaintext byte: pieces[i][off]
  // The pieces of one record's plaintext; the thread's vector, so that sealing allocates nothing.
  thread_local std::vector<std::span<const std::uint8_t>> record;
  for (;;) {
    record.clear();
    std::size_t n = 0;
    while (i < pieces.size() && n < kMaxRecordPlaintext) {
      const std::size_t take = std::min(pieces[i].size() - off, kMaxRecordPlaintext - n);
      if (take > 0) record.push_back(pieces[i].subspan(off, take));
      n += take;
      off += take;
      if (off == pieces[i].size()) {
        ++i;
        off = 0;
      }
    }
    if (n == 0) return true;
    const std::size_t len = n + kTagBytes;
    for (int k = 0; k < 4; ++k) out[k] = static_cast<std::uint8_t>(len >> (24 - 8 * k));
    if (!send_->encrypt_gather(record, out + 4)) return fail("record counter exhausted");
    out += 4 + len;
  }
}

// ---- the XX handshake (the Noise part is HandshakeXX; this adds the identity payloads) ----

std::vector<std::uint8_t> SecureChannel::identity_payload() const {
  // Signs the handshake hash as it stands before the payload is encrypted: the receiver has the
  // same hash before it decrypts.
  std::vector<std::uint8_t> msg(kSignContext, kSignContext + sizeof kSignContext - 1);
  const std::uint8_t* h = hs_->handshake_hash();
  msg.insert(msg.end(), h, h + kHashLen);
  auto sig = identity_->sign(msg);
  const NodeId me = identity_->id();
  std::vector<std::uint8_t> payload;
  payload.reserve(kPayloadBytes);
  payload.insert(payload.end(), me.bytes.begin(), me.bytes.end());
  payload.insert(payload.end(), sig.begin(), sig.end());
  return payload;
}

bool SecureChannel::check_identity_payload(std::span<const std::uint8_t> payload, const std::uint8_t* hash_before) {
  if (payload.size() != kPayloadBytes) return fail("handshake payload of " + std::to_string(payload.size()) + " bytes");
  NodeId id;
  std::memcpy(id.bytes.data(), payload.data(), 32);
  auto x = Identity::x25519_public_of(id);
  if (!x || sodium_memcmp(x->data(), hs_->remote_static(), 32) != 0)
    return fail("peer's identity key " + id.short_hex() + " does not match its handshake static key", true);
  std::vector<std::uint8_t> msg(kSignContext, kSignContext + sizeof kSignContext - 1);
  msg.insert(msg.end(), hash_before, hash_before + kHashLen);
  if (!Identity::verify(id, msg, payload.subspan(32)))
    return fail("peer " + id.short_hex() + " did not prove it holds its identity key (bad signature)", true);
  peer_id_ = id;
  return true;
}

void SecureChannel::write_message1(std::vector<std::uint8_t>& wire) {
  std::vector<std::uint8_t> m;
  // e, then the empty payload (no key yet: it mixes nothing but the hash). Cannot fail.
  if (hs_->write_tokens(m) != HandshakeXX::Result::kOk || hs_->write_payload({}, m) != HandshakeXX::Result::kOk) {
    fail("handshake message 1 could not be written");
    return;
  }
  put_u16(wire, m.size());
  wire.insert(wire.end(), m.begin(), m.end());
  step_ = 1;
}

bool SecureChannel::write_message2(std::vector<std::uint8_t>& wire) {
  std::vector<std::uint8_t> m;
  // e, ee, s, es
  if (auto r = hs_->write_tokens(m); r != HandshakeXX::Result::kOk) return fail(token_error(r, 2), true);
  if (hs_->write_payload(identity_payload(), m) != HandshakeXX::Result::kOk)
    return fail("handshake message 2 could not be written");
  put_u16(wire, m.size());
  wire.insert(wire.end(), m.begin(), m.end());
  step_ = 2;
  return true;
}

bool SecureChannel::read_message2(std::span<const std::uint8_t> m) {
  if (m.size() != 32 + 32 + kTagBytes + kPayloadBytes + kTagBytes)
    return fail("handshake message 2 of " + std::to_string(m.size()) + " bytes");
  std::size_t used = 0;
  if (auto r = hs_->read_tokens(m, used); r != HandshakeXX::Result::kOk) return fail(token_error(r, 2), true);
  std::uint8_t h_before[kHashLen];
  std::memcpy(h_before, hs_->handshake_hash(), kHashLen);
  std::vector<std::uint8_t> payload;
  if (hs_->read_payload(m.subspan(used), payload) != HandshakeXX::Result::kOk)
    return fail("handshake message 2 payload failed authentication", true);
  return check_identity_payload(payload, h_before);
}

bool SecureChannel::write_message3(std::vector<std::uint8_t>& wire) {
  std::vector<std::uint8_t> m;
  // s, se
  if (auto r = hs_->write_tokens(m); r != HandshakeXX::Result::kOk) return fail(token_error(r, 3), true);
  if (hs_->write_payload(identity_payload(), m) != HandshakeXX::Result::kOk)
    return fail("handshake message 3 could not be written");
  put_u16(wire, m.size());
  wire.insert(wire.end(), m.begin(), m.end());
  step_ = 3;
  return true;
}

bool SecureChannel::read_message3(std::span<const std::uint8_t> m) {
  if (m.size() != 32 + kTagBytes + kPayloadBytes + kTagBytes)
    return fail("handshake message 3 of " + std::to_string(m.size()) + " bytes");
  std::size_t used = 0;
  if (auto r = hs_->read_tokens(m, used); r != HandshakeXX::Result::kOk) return fail(token_error(r, 3), true);
  std::uint8_t h_before[kHashLen];
  std::memcpy(h_before, hs_->handshake_hash(), kHashLen);
  std::vector<std::uint8_t> payload;
  if (hs_->read_payload(m.subspan(used), payload) != HandshakeXX::Result::kOk)
    return fail("handshake message 3 payload failed authentication", true);
  return check_identity_payload(payload, h_before);
}

bool SecureChannel::on_handshake_message(std::span<const std::uint8_t> m, std::vector<std::uint8_t>& wire) {
  if (!initiator_ && step_ == 0) {  // message 1: e, empty payload
    if (m.size() != 32) return fail("handshake message 1 of " + std::to_string(m.size()) + " bytes");
    std::size_t used = 0;
    std::vector<std::uint8_t> payload;
    if (hs_->read_tokens(m, used) != HandshakeXX::Result::kOk ||
        hs_->read_payload(m.subspan(used), payload) != HandshakeXX::Result::kOk)  // empty, unencrypted
      return fail("handshake message 1 could not be processed");
    return write_message2(wire);
  }
  if (initiator_ && step_ == 1) {
    if (!read_message2(m) || !write_message3(wire)) return false;
    split();
    return true;
  }
  if (!initiator_ && step_ == 2) {
    if (!read_message3(m)) return false;
    split();
    return true;
  }
  return fail("unexpected handshake message");
}

void SecureChannel::split() {
  auto c1 = std::make_unique<noise::CipherState>(), c2 = std::make_unique<noise::CipherState>();
  hs_->split(*c1, *c2);
  // The first cipher is the initiator's sending one. (One branch per role: clang-tidy's move
  // checker cannot pair two conditional moves on the same flag.)
  if (initiator_) {
    send_ = std::move(c1);
    recv_ = std::move(c2);
  } else {
    send_ = std::move(c2);
    recv_ = std::move(c1);
  }
  hs_.reset();  // zeroes the handshake state, ephemeral and static secrets included
  state_ = State::kEstablished;
}

}  // namespace butter::host
