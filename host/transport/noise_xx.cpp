// Noise_XX_25519_ChaChaPoly_BLAKE2b on libsodium (the AEAD also on OpenSSL: aead.hpp): CipherState, SymmetricState
// (HMAC/HKDF with BLAKE2b-512) and the XX handshake's token processing. See noise_xx.hpp.
#include "transport/noise_xx.hpp"

#include <sodium.h>

#include <cstring>
#include <initializer_list>
#include <limits>
#include <utility>

namespace butter::host::noise {

namespace {

constexpr std::size_t kBlockLen = 128;  // BLAKE2b block, for HMAC

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

enum class Token { kE, kS, kEE, kES, kSE };

// The keys a DH token combines on this side: (our ephemeral?, the peer's ephemeral?). "es" is the
// initiator's ephemeral with the responder's static, so each side reads it from its own end.
std::pair<bool, bool> dh_keys(Token t, bool initiator) {
  switch (t) {
    case Token::kES:
      return initiator ? std::pair{true, false} : std::pair{false, true};
    case Token::kSE:
      return initiator ? std::pair{false, true} : std::pair{true, false};
    default:
      return {true, true};  // ee
  }
}

// The XX pattern's messages; even ones are the initiator's.
const std::initializer_list<Token> kPattern[3] = {
    {Token::kE},
    {Token::kE, Token::kEE, Token::kS, Token::kES},
    {Token::kS, Token::kSE},
};

}  // namespace

// ---- CipherState ----

CipherState::~CipherState() = default;  // ChaChaPoly wipes the key

void CipherState::initialize_key(const std::uint8_t k[kKeyLen]) {
  aead_.set_key(k);
  has_key_ = true;
  n_ = 0;
}

namespace {
void nonce_of(std::uint64_t n, std::uint8_t out[12]) {
  std::memset(out, 0, 4);
  for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<std::uint8_t>(n >> (8 * i));
}
}  // namespace

bool CipherState::encrypt(std::span<const std::uint8_t> ad, std::span<const std::uint8_t> plain, Bytes& out) {
  if (!has_key_) {
    out.insert(out.end(), plain.begin(), plain.end());
    return true;
  }
  if (n_ == std::numeric_limits<std::uint64_t>::max()) return false;
  std::uint8_t npub[12];
  nonce_of(n_, npub);
  const std::size_t at = out.size();
  out.resize(at + plain.size() + kTagLen);
  aead_.seal(npub, ad, plain, out.data() + at);
  ++n_;
  return true;
}

bool CipherState::decrypt(std::span<const std::uint8_t> ad, std::span<const std::uint8_t> cipher, Bytes& out) {
  if (!has_key_) {
    out.insert(out.end(), cipher.begin(), cipher.end());
    return true;
  }
  if (cipher.size() < kTagLen || n_ == std::numeric_limits<std::uint64_t>::max()) return false;
  std::uint8_t npub[12];
  nonce_of(n_, npub);
  const std::size_t at = out.size();
  out.resize(at + cipher.size() - kTagLen);
  if (!aead_.open(npub, ad, cipher, out.data() + at)) {
    out.resize(at);
    return false;
  }
  ++n_;
  return true;
}

bool CipherState::encrypt_gather(std::span<const std::span<const std::uint8_t>> pieces, std::uint8_t* out) {
  if (!has_key_ || n_ == std::numeric_limits<std::uint64_t>::max()) return false;
  std::uint8_t npub[12];
  nonce_of(n_, npub);
  aead_.seal_gather(npub, {}, pieces, out);
  ++n_;
  return true;
}

bool CipherState::decrypt_in_place(std::span<std::uint8_t> cipher) {
  if (!has_key_ || cipher.size() < kTagLen || n_ == std::numeric_limits<std::uint64_t>::max()) return false;
  std::uint8_t npub[12];
  nonce_of(n_, npub);
  if (!aead_.open(npub, {}, cipher, cipher.data())) return false;
  ++n_;
  return true;
}

// ---- SymmetricState ----

SymmetricState::SymmetricState() {
  // The protocol name (33 bytes) is at most HASHLEN: h is the name zero-padded, not its hash.
  static_assert(sizeof kProtocolName - 1 <= kHashLen);
  std::memcpy(h_, kProtocolName, sizeof kProtocolName - 1);
  std::memcpy(ck_, h_, kHashLen);
}

SymmetricState::~SymmetricState() {
  sodium_memzero(ck_, sizeof ck_);
  sodium_memzero(h_, sizeof h_);
}

void SymmetricState::mix_hash(std::span<const std::uint8_t> data) {
  std::uint8_t out[kHashLen];
  blake2b(out, {{h_, kHashLen}, data});
  std::memcpy(h_, out, kHashLen);
}

void SymmetricState::mix_key(std::span<const std::uint8_t> ikm) {
  std::uint8_t o1[kHashLen], o2[kHashLen];
  hkdf2(ck_, ikm, o1, o2);
  std::memcpy(ck_, o1, kHashLen);
  cs_.initialize_key(o2);  // HASHLEN 64: the first 32 bytes are the key
  sodium_memzero(o1, sizeof o1);
  sodium_memzero(o2, sizeof o2);
}

bool SymmetricState::encrypt_and_hash(std::span<const std::uint8_t> plain, Bytes& out) {
  const std::size_t at = out.size();
  if (!cs_.encrypt({h_, kHashLen}, plain, out)) return false;
  mix_hash({out.data() + at, out.size() - at});
  return true;
}

bool SymmetricState::decrypt_and_hash(std::span<const std::uint8_t> cipher, Bytes& out) {
  if (!cs_.decrypt({h_, kHashLen}, cipher, out)) return false;
  mix_hash(cipher);
  return true;
}

void SymmetricState::split(CipherState& c1, CipherState& c2) const {
  std::uint8_t o1[kHashLen], o2[kHashLen];
  hkdf2(ck_, {}, o1, o2);
  c1.initialize_key(o1);
  c2.initialize_key(o2);
  sodium_memzero(o1, sizeof o1);
  sodium_memzero(o2, sizeof o2);
}

// ---- HandshakeXX ----

HandshakeXX::HandshakeXX(bool initiator, std::span<const std::uint8_t> prologue,
                         std::span<const std::uint8_t, kDhLen> s_pub, std::span<const std::uint8_t, kDhLen> s_sec,
                         const std::uint8_t* fixed_ephemeral)
    : initiator_(initiator) {
  std::memcpy(s_pub_, s_pub.data(), kDhLen);
  std::memcpy(s_sec_, s_sec.data(), kDhLen);
  if (fixed_ephemeral) {
    has_fixed_e_ = true;
    std::memcpy(e_sec_, fixed_ephemeral, kDhLen);
  }
  sym_.mix_hash(prologue);  // XX has no pre-message keys
}

HandshakeXX::~HandshakeXX() {
  sodium_memzero(s_sec_, sizeof s_sec_);
  sodium_memzero(e_sec_, sizeof e_sec_);
}

HandshakeXX::Result HandshakeXX::dh(const std::uint8_t* local_sec, const std::uint8_t* remote_pub, Result bad) {
  std::uint8_t out[kDhLen];
  if (crypto_scalarmult(out, local_sec, remote_pub) != 0) return bad;  // all-zero output
  sym_.mix_key({out, kDhLen});
  sodium_memzero(out, sizeof out);
  return Result::kOk;
}

HandshakeXX::Result HandshakeXX::write_tokens(Bytes& out) {
  if (done_ >= 3 || tokens_done_ || ((done_ % 2 == 0) != initiator_)) return Result::kMalformed;
  for (Token t : kPattern[done_]) {
    Result r = Result::kOk;
    switch (t) {
      case Token::kE:
        if (has_fixed_e_)
          crypto_scalarmult_base(e_pub_, e_sec_);
        else
          crypto_box_keypair(e_pub_, e_sec_);
        out.insert(out.end(), e_pub_, e_pub_ + kDhLen);
        sym_.mix_hash({e_pub_, kDhLen});
        break;
      case Token::kS:
        if (!sym_.encrypt_and_hash({s_pub_, kDhLen}, out)) r = Result::kExhausted;
        break;
      case Token::kEE:
      case Token::kES:
      case Token::kSE: {
        const auto [local_e, remote_e] = dh_keys(t, initiator_);
        r = dh_pair(local_e, remote_e);
        break;
      }
    }
    if (r != Result::kOk) return r;
  }
  tokens_done_ = true;
  return Result::kOk;
}

HandshakeXX::Result HandshakeXX::dh_pair(bool local_ephemeral, bool remote_ephemeral) {
  return dh(local_ephemeral ? e_sec_ : s_sec_, remote_ephemeral ? re_ : rs_,
            remote_ephemeral ? Result::kBadEphemeral : Result::kBadStatic);
}

HandshakeXX::Result HandshakeXX::write_payload(std::span<const std::uint8_t> payload, Bytes& out) {
  if (!tokens_done_) return Result::kMalformed;
  if (!sym_.encrypt_and_hash(payload, out)) return Result::kExhausted;
  tokens_done_ = false;
  ++done_;
  return Result::kOk;
}

HandshakeXX::Result HandshakeXX::read_tokens(std::span<const std::uint8_t> m, std::size_t& used) {
  used = 0;
  if (done_ >= 3 || tokens_done_ || ((done_ % 2 == 0) == initiator_)) return Result::kMalformed;
  for (Token t : kPattern[done_]) {
    Result r = Result::kOk;
    switch (t) {
      case Token::kE:
        if (m.size() - used < kDhLen) return Result::kMalformed;
        std::memcpy(re_, m.data() + used, kDhLen);
        used += kDhLen;
        sym_.mix_hash({re_, kDhLen});
        break;
      case Token::kS: {
        const std::size_t len = kDhLen + kTagLen;  // in XX a key is always set (by ee) before s
        if (m.size() - used < len) return Result::kMalformed;
        Bytes s;
        if (!sym_.decrypt_and_hash(m.subspan(used, len), s)) return Result::kAuth;
        std::memcpy(rs_, s.data(), kDhLen);
        used += len;
        break;
      }
      case Token::kEE:
      case Token::kES:
      case Token::kSE: {
        const auto [local_e, remote_e] = dh_keys(t, initiator_);
        r = dh_pair(local_e, remote_e);
        break;
      }
    }
    if (r != Result::kOk) return r;
  }
  tokens_done_ = true;
  return Result::kOk;
}

HandshakeXX::Result HandshakeXX::read_payload(std::span<const std::uint8_t> cipher, Bytes& payload) {
  if (!tokens_done_) return Result::kMalformed;
  if (!sym_.decrypt_and_hash(cipher, payload)) return Result::kAuth;
  tokens_done_ = false;
  ++done_;
  return Result::kOk;
}

}  // namespace butter::host::noise
