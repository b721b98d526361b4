#include "transport/secure_channel.hpp"

#include <sodium.h>

#include <cstring>
#include <limits>

namespace butter::host {

namespace {

constexpr std::size_t kHashLen = 64;    // BLAKE2b-512
constexpr std::size_t kBlockLen = 128;  // BLAKE2b block, for HMAC
constexpr std::size_t kKeyLen = 32;
constexpr std::size_t kDhLen = 32;
constexpr std::size_t kMaxHandshakeMessage = 1024;
constexpr char kProtocolName[] = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
constexpr char kPrologue[] = "butter/secure/1";
constexpr char kSignContext[] = "butter/secure/1 id";
constexpr std::uint8_t kMagic[4] = {'B', 'U', 'T', 'R'};
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kModeNoise = 0, kModePlaintext = 1;
// Ed25519 public key + signature.
constexpr std::size_t kPayloadBytes = 32 + Identity::kSignatureBytes;

void blake2b(std::uint8_t out[kHashLen], std::initializer_list<std::span<const std::uint8_t>> parts) {
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init(&st, nullptr, 0, kHashLen);
  for (auto p : parts) crypto_generichash_blake2b_update(&st, p.data(), p.size());
  crypto_generichash_blake2b_final(&st, out, kHashLen);
}

// HMAC-BLAKE2b (RFC 2104), as Noise's HKDF uses it. Keys are at most kHashLen bytes here.
void hmac(std::uint8_t out[kHashLen], std::span<const std::uint8_t> key,
          std::initializer_list<std::span<const std::uint8_t>> data) {
  std::uint8_t ipad[kBlockLen], opad[kBlockLen];
  std::memset(ipad, 0x36, sizeof ipad);
  std::memset(opad, 0x5c, sizeof opad);
  for (std::size_t i = 0; i < key.size(); ++i) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  crypto_generichash_blake2b_state st;
  std::uint8_t inner[kHashLen];
  crypto_generichash_blake2b_init(&st, nullptr, 0, kHashLen);
  crypto_generichash_blake2b_update(&st, ipad, sizeof ipad);
  for (auto d : data) crypto_generichash_blake2b_update(&st, d.data(), d.size());
  crypto_generichash_blake2b_final(&st, inner, kHashLen);
  blake2b(out, {std::span<const std::uint8_t>(opad, sizeof opad), std::span<const std::uint8_t>(inner, kHashLen)});
  sodium_memzero(ipad, sizeof ipad);
  sodium_memzero(opad, sizeof opad);
  sodium_memzero(inner, sizeof inner);
}

// Noise HKDF with two outputs.
void hkdf2(const std::uint8_t ck[kHashLen], std::span<const std::uint8_t> ikm, std::uint8_t out1[kHashLen],
           std::uint8_t out2[kHashLen]) {
  std::uint8_t temp[kHashLen];
  hmac(temp, {ck, kHashLen}, {ikm});
  const std::uint8_t one = 1, two = 2;
  hmac(out1, {temp, kHashLen}, {{&one, 1}});
  hmac(out2, {temp, kHashLen}, {{out1, kHashLen}, {&two, 1}});
  sodium_memzero(temp, sizeof temp);
}

void put_u16(std::vector<std::uint8_t>& v, std::size_t n) {
  v.push_back(static_cast<std::uint8_t>(n >> 8));
  v.push_back(static_cast<std::uint8_t>(n));
}
void put_u32(std::vector<std::uint8_t>& v, std::size_t n) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(n >> s));
}

}  // namespace

// A Noise CipherState: key and 64-bit counter, ChaCha20-Poly1305-IETF.
struct SecureChannel::CipherState {
  std::uint8_t k[kKeyLen]{};
  bool has_key = false;
  std::uint64_t n = 0;

  ~CipherState() { sodium_memzero(k, sizeof k); }
  void nonce(std::uint8_t out[12]) const {
    std::memset(out, 0, 4);
    for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  }
  // Appends ciphertext || tag of `plain` to `out` (or `plain` itself without a key).
  bool encrypt(std::span<const std::uint8_t> ad, std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out) {
    if (!has_key) {
      out.insert(out.end(), plain.begin(), plain.end());
      return true;
    }
    if (n == std::numeric_limits<std::uint64_t>::max()) return false;
    std::uint8_t npub[12];
    nonce(npub);
    const std::size_t at = out.size();
    out.resize(at + plain.size() + kTagBytes);
    unsigned long long clen = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(out.data() + at, &clen, plain.data(), plain.size(), ad.data(),
                                              ad.size(), nullptr, npub, k);
    ++n;
    return true;
  }
  bool decrypt(std::span<const std::uint8_t> ad, std::span<const std::uint8_t> cipher, std::vector<std::uint8_t>& out) {
    if (!has_key) {
      out.insert(out.end(), cipher.begin(), cipher.end());
      return true;
    }
    if (cipher.size() < kTagBytes || n == std::numeric_limits<std::uint64_t>::max()) return false;
    std::uint8_t npub[12];
    nonce(npub);
    const std::size_t at = out.size();
    out.resize(at + cipher.size() - kTagBytes);
    unsigned long long mlen = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data() + at, &mlen, nullptr, cipher.data(), cipher.size(),
                                                  ad.data(), ad.size(), npub, k) != 0) {
      out.resize(at);
      return false;
    }
    ++n;
    return true;
  }
};

// A Noise SymmetricState: chaining key, handshake hash and the current cipher.
struct SecureChannel::Symmetric {
  std::uint8_t ck[kHashLen]{}, h[kHashLen]{};
  CipherState cs;

  Symmetric() {
    std::memcpy(h, kProtocolName, sizeof kProtocolName - 1);  // shorter than HASHLEN: zero-padded
    std::memcpy(ck, h, kHashLen);
  }
  ~Symmetric() {
    sodium_memzero(ck, sizeof ck);
    sodium_memzero(h, sizeof h);
  }
  void mix_hash(std::span<const std::uint8_t> data) {
    std::uint8_t out[kHashLen];
    blake2b(out, {{h, kHashLen}, data});
    std::memcpy(h, out, kHashLen);
  }
  void mix_key(std::span<const std::uint8_t> ikm) {
    std::uint8_t o1[kHashLen], o2[kHashLen];
    hkdf2(ck, ikm, o1, o2);
    std::memcpy(ck, o1, kHashLen);
    std::memcpy(cs.k, o2, kKeyLen);
    cs.has_key = true;
    cs.n = 0;
    sodium_memzero(o1, sizeof o1);
    sodium_memzero(o2, sizeof o2);
  }
  bool encrypt_and_hash(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out) {
    const std::size_t at = out.size();
    if (!cs.encrypt({h, kHashLen}, plain, out)) return false;
    mix_hash({out.data() + at, out.size() - at});
    return true;
  }
  bool decrypt_and_hash(std::span<const std::uint8_t> cipher, std::vector<std::uint8_t>& out) {
    if (!cs.decrypt({h, kHashLen}, cipher, out)) return false;
    mix_hash(cipher);
    return true;
  }
};

SecureChannel::SecureChannel(std::shared_ptr<const Identity> identity, bool initiator, bool plaintext)
    : identity_(std::move(identity)), initiator_(initiator), plaintext_(plaintext) {
  if (sodium_init() < 0) fail("libsodium failed to initialise");
  if (!plaintext_ && !identity_) fail("no identity for an encrypted channel");
}

SecureChannel::~SecureChannel() {
  sodium_memzero(e_sec_, sizeof e_sec_);
}

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
    sym_ = std::make_unique<Symmetric>();
    sym_->mix_hash({reinterpret_cast<const std::uint8_t*>(kPrologue), sizeof kPrologue - 1});
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

bool SecureChannel::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& wire,
                         std::vector<std::uint8_t>& plain) {
  if (state_ == State::kFailed) return false;
  if (state_ == State::kNew) return fail("bytes fed before start()");
  if (state_ == State::kEstablished && plaintext_ && inbox_.empty()) {
    plain.insert(plain.end(), in.begin(), in.end());
    return true;
  }
  inbox_.insert(inbox_.end(), in.begin(), in.end());
  std::size_t pos = 0;
  bool ok = true;
  while (ok) {
    const std::size_t avail = inbox_.size() - pos;
    const std::uint8_t* p = inbox_.data() + pos;
    if (state_ == State::kPreamble) {
      if (avail < kPreambleBytes) break;
      ok = on_preamble({p, kPreambleBytes});
      pos += kPreambleBytes;
    } else if (state_ == State::kHandshake) {
      if (avail < 2) break;
      const std::size_t len = (std::size_t{p[0]} << 8) | p[1];
      if (len > kMaxHandshakeMessage) {
        ok = fail("handshake message of " + std::to_string(len) + " bytes");
        break;
      }
      if (avail < 2 + len) break;
      ok = on_handshake_message({p + 2, len}, wire);
      pos += 2 + len;
    } else if (state_ == State::kEstablished) {
      if (plaintext_) {
        plain.insert(plain.end(), p, p + avail);
        pos += avail;
        break;
      }
      if (avail < 4) break;
      const std::size_t len = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
      if (len < kTagBytes || len > kMaxRecordPlaintext + kTagBytes) {
        ok = fail("record length " + std::to_string(len) + " out of bounds");
        break;
      }
      if (avail < 4 + len) break;
      ok = on_record({p + 4, len}, plain);
      pos += 4 + len;
    } else {
      break;
    }
  }
  if (state_ == State::kFailed) return false;
  inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(pos));
  return ok;
}

bool SecureChannel::on_record(std::span<const std::uint8_t> c, std::vector<std::uint8_t>& plain) {
  if (!recv_->decrypt({}, c, plain))
    return fail("record " + std::to_string(recv_->n) + " failed authentication (tampered or corrupted)", true);
  return true;
}

bool SecureChannel::seal(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& wire) {
  if (state_ != State::kEstablished) return false;
  if (plaintext_) {
    wire.insert(wire.end(), plain.begin(), plain.end());
    return true;
  }
  while (!plain.empty()) {
    const std::size_t n = std::min(plain.size(), kMaxRecordPlaintext);
    put_u32(wire, n + kTagBytes);
    if (!send_->encrypt({}, plain.first(n), wire)) return fail("record counter exhausted");
    plain = plain.subspan(n);
  }
  return true;
}

// ---- the XX handshake ----

std::vector<std::uint8_t> SecureChannel::identity_payload() const {
  // Signs the handshake hash as it stands before the payload is encrypted: the receiver has the
  // same hash before it decrypts.
  std::vector<std::uint8_t> msg(kSignContext, kSignContext + sizeof kSignContext - 1);
  msg.insert(msg.end(), sym_->h, sym_->h + kHashLen);
  auto sig = identity_->sign(msg);
  const NodeId me = identity_->id();
  std::vector<std::uint8_t> payload(me.bytes.begin(), me.bytes.end());
  payload.insert(payload.end(), sig.begin(), sig.end());
  return payload;
}

bool SecureChannel::check_identity_payload(std::span<const std::uint8_t> payload, const std::uint8_t* hash_before) {
  if (payload.size() != kPayloadBytes) return fail("handshake payload of " + std::to_string(payload.size()) + " bytes");
  NodeId id;
  std::memcpy(id.bytes.data(), payload.data(), 32);
  auto x = Identity::x25519_public_of(id);
  if (!x || sodium_memcmp(x->data(), rs_, 32) != 0)
    return fail("peer's identity key " + id.short_hex() + " does not match its handshake static key", true);
  std::vector<std::uint8_t> msg(kSignContext, kSignContext + sizeof kSignContext - 1);
  msg.insert(msg.end(), hash_before, hash_before + kHashLen);
  if (!Identity::verify(id, msg, payload.subspan(32)))
    return fail("peer " + id.short_hex() + " did not prove it holds its identity key (bad signature)", true);
  peer_id_ = id;
  return true;
}

void SecureChannel::write_message1(std::vector<std::uint8_t>& wire) {
  crypto_box_keypair(e_pub_, e_sec_);
  std::vector<std::uint8_t> m(e_pub_, e_pub_ + 32);
  sym_->mix_hash({e_pub_, 32});
  sym_->encrypt_and_hash({}, m);  // empty payload (no key yet: mixes nothing but the hash)
  put_u16(wire, m.size());
  wire.insert(wire.end(), m.begin(), m.end());
  step_ = 1;
}

bool SecureChannel::write_message2(std::vector<std::uint8_t>& wire) {
  crypto_box_keypair(e_pub_, e_sec_);
  std::vector<std::uint8_t> m(e_pub_, e_pub_ + 32);
  sym_->mix_hash({e_pub_, 32});
  std::uint8_t dh[kDhLen];
  if (crypto_scalarmult(dh, e_sec_, re_) != 0) return fail("peer's ephemeral key is a low-order point", true);  // ee
  sym_->mix_key({dh, kDhLen});
  auto s_pub = identity_->x25519_public();
  sym_->encrypt_and_hash(s_pub, m);  // s
  auto s_sec = identity_->x25519_secret();
  const bool es_ok = crypto_scalarmult(dh, s_sec.data(), re_) == 0;  // es
  sodium_memzero(s_sec.data(), s_sec.size());
  if (!es_ok) return fail("peer's ephemeral key is a low-order point", true);
  sym_->mix_key({dh, kDhLen});
  sodium_memzero(dh, sizeof dh);
  sym_->encrypt_and_hash(identity_payload(), m);
  put_u16(wire, m.size());
  wire.insert(wire.end(), m.begin(), m.end());
  step_ = 2;
  return true;
}

bool SecureChannel::read_message2(std::span<const std::uint8_t> m) {
  if (m.size() != 32 + 32 + kTagBytes + kPayloadBytes + kTagBytes)
    return fail("handshake message 2 of " + std::to_string(m.size()) + " bytes");
  std::memcpy(re_, m.data(), 32);
  sym_->mix_hash({re_, 32});
  std::uint8_t dh[kDhLen];
  if (crypto_scalarmult(dh, e_sec_, re_) != 0) return fail("peer's ephemeral key is a low-order point", true);
  sym_->mix_key({dh, kDhLen});
  std::vector<std::uint8_t> s;
  if (!sym_->decrypt_and_hash(m.subspan(32, 32 + kTagBytes), s))
    return fail("handshake message 2 failed authentication", true);
  std::memcpy(rs_, s.data(), 32);
  if (crypto_scalarmult(dh, e_sec_, rs_) != 0) return fail("peer's static key is a low-order point", true);  // es
  sym_->mix_key({dh, kDhLen});
  sodium_memzero(dh, sizeof dh);
  std::uint8_t h_before[kHashLen];
  std::memcpy(h_before, sym_->h, kHashLen);
  std::vector<std::uint8_t> payload;
  if (!sym_->decrypt_and_hash(m.subspan(32 + 32 + kTagBytes), payload))
    return fail("handshake message 2 payload failed authentication", true);
  return check_identity_payload(payload, h_before);
}

bool SecureChannel::write_message3(std::vector<std::uint8_t>& wire) {
  std::vector<std::uint8_t> m;
  auto s_pub = identity_->x25519_public();
  sym_->encrypt_and_hash(s_pub, m);  // s
  auto s_sec = identity_->x25519_secret();
  std::uint8_t dh[kDhLen];
  const bool se_ok = crypto_scalarmult(dh, s_sec.data(), re_) == 0;  // se
  sodium_memzero(s_sec.data(), s_sec.size());
  if (!se_ok) return fail("peer's ephemeral key is a low-order point", true);
  sym_->mix_key({dh, kDhLen});
  sodium_memzero(dh, sizeof dh);
  sym_->encrypt_and_hash(identity_payload(), m);
  put_u16(wire, m.size());
  wire.insert(wire.end(), m.begin(), m.end());
  step_ = 3;
  return true;
}

bool SecureChannel::read_message3(std::span<const std::uint8_t> m) {
  if (m.size() != 32 + kTagBytes + kPayloadBytes + kTagBytes)
    return fail("handshake message 3 of " + std::to_string(m.size()) + " bytes");
  std::vector<std::uint8_t> s;
  if (!sym_->decrypt_and_hash(m.first(32 + kTagBytes), s))
    return fail("handshake message 3 failed authentication", true);
  std::memcpy(rs_, s.data(), 32);
  std::uint8_t dh[kDhLen];
  if (crypto_scalarmult(dh, e_sec_, rs_) != 0) return fail("peer's static key is a low-order point", true);  // se
  sym_->mix_key({dh, kDhLen});
  sodium_memzero(dh, sizeof dh);
  std::uint8_t h_before[kHashLen];
  std::memcpy(h_before, sym_->h, kHashLen);
  std::vector<std::uint8_t> payload;
  if (!sym_->decrypt_and_hash(m.subspan(32 + kTagBytes), payload))
    return fail("handshake message 3 payload failed authentication", true);
  return check_identity_payload(payload, h_before);
}

bool SecureChannel::on_handshake_message(std::span<const std::uint8_t> m, std::vector<std::uint8_t>& wire) {
  if (!initiator_ && step_ == 0) {  // message 1: e, empty payload
    if (m.size() != 32) return fail("handshake message 1 of " + std::to_string(m.size()) + " bytes");
    std::memcpy(re_, m.data(), 32);
    sym_->mix_hash({re_, 32});
    sym_->mix_hash({});  // the empty payload, unencrypted
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
  std::uint8_t o1[kHashLen], o2[kHashLen];
  hkdf2(sym_->ck, {}, o1, o2);
  auto a = std::make_unique<CipherState>(), b = std::make_unique<CipherState>();
  std::memcpy(a->k, o1, kKeyLen);
  std::memcpy(b->k, o2, kKeyLen);
  a->has_key = b->has_key = true;
  sodium_memzero(o1, sizeof o1);
  sodium_memzero(o2, sizeof o2);
  // The first key is the initiator's sending key.
  send_ = initiator_ ? std::move(a) : std::move(b);
  recv_ = initiator_ ? std::move(b) : std::move(a);
  sym_.reset();
  sodium_memzero(e_sec_, sizeof e_sec_);
  state_ = State::kEstablished;
}

}  // namespace butter::host
