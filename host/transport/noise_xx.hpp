// The Noise_XX_25519_ChaChaPoly_BLAKE2b handshake (Noise spec rev. 34, sections 5 and 7) that
// SecureChannel is built on, without framing, identities or sockets: CipherState, SymmetricState
// and the XX HandshakeState.
//
// Why a separate file: SecureChannel fixes the prologue, draws random ephemeral keys and derives
// its static key and payloads from the node identity, so the published Noise test vectors (fixed
// ephemeral keys, raw X25519 static keys, arbitrary prologue and payloads) cannot be run through
// it. tests/unit/transport/noise_vectors_test.cpp runs them through this class instead, which is
// the exact code SecureChannel calls; the only test-only input is `fixed_ephemeral` (production
// passes nullptr and gets a fresh key from crypto_box_keypair, as before).
#pragma once
#include "transport/aead.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace butter::host::noise {

constexpr std::size_t kHashLen = 64;  // BLAKE2b-512
constexpr std::size_t kKeyLen = 32;
constexpr std::size_t kDhLen = 32;
constexpr std::size_t kTagLen = 16;
constexpr char kProtocolName[] = "Noise_XX_25519_ChaChaPoly_BLAKE2b";

using Bytes = std::vector<std::uint8_t>;

// A Noise CipherState: key and 64-bit counter, ChaCha20-Poly1305-IETF (aead.hpp) with the nonce 32
// zero bits then the little-endian counter. Without a key, encrypt/decrypt pass the bytes unchanged.
class CipherState {
 public:
  CipherState() = default;
  CipherState(const CipherState&) = delete;
  CipherState& operator=(const CipherState&) = delete;
  ~CipherState();

  void initialize_key(const std::uint8_t k[kKeyLen]);
  bool has_key() const { return has_key_; }
  std::uint64_t counter() const { return n_; }
  // Appends ciphertext || tag of `plain` to `out` (or `plain` itself without a key). False when
  // the counter is exhausted.
  bool encrypt(std::span<const std::uint8_t> ad, std::span<const std::uint8_t> plain, Bytes& out);
  // Appends the plaintext to `out`. False (and `out` unchanged) when it does not authenticate.
  bool decrypt(std::span<const std::uint8_t> ad, std::span<const std::uint8_t> cipher, Bytes& out);

  // The transport's zero-copy forms (REQUIRES has_key(), empty ad). encrypt_gather writes the
  // ciphertext of the pieces' concatenation and the tag to `out` (total + kTagLen bytes);
  // decrypt_in_place leaves the plaintext in the first cipher.size() - kTagLen bytes of `cipher`
  // (on failure the counter is unchanged and the bytes are wiped: never plaintext that did not
  // authenticate; the caller must drop the whole record and not read them).
  bool encrypt_gather(std::span<const std::span<const std::uint8_t>> pieces, std::uint8_t* out);
  bool decrypt_in_place(std::span<std::uint8_t> cipher);

 private:
  ChaChaPoly aead_;
  bool has_key_ = false;
  std::uint64_t n_ = 0;
};

// A Noise SymmetricState: chaining key, handshake hash and the current cipher.
class SymmetricState {
 public:
  SymmetricState();  // InitializeSymmetric(kProtocolName)
  SymmetricState(const SymmetricState&) = delete;
  SymmetricState& operator=(const SymmetricState&) = delete;
  ~SymmetricState();

  void mix_hash(std::span<const std::uint8_t> data);
  void mix_key(std::span<const std::uint8_t> ikm);
  bool encrypt_and_hash(std::span<const std::uint8_t> plain, Bytes& out);
  bool decrypt_and_hash(std::span<const std::uint8_t> cipher, Bytes& out);
  // c1 is the initiator's sending cipher, c2 the responder's.
  void split(CipherState& c1, CipherState& c2) const;
  const std::uint8_t* h() const { return h_; }

 private:
  std::uint8_t ck_[kHashLen]{}, h_[kHashLen]{};
  CipherState cs_;
};

// The XX handshake:  -> e   <- e, ee, s, es   -> s, se
// Each message is its tokens then its payload; the tokens and the payload are written and read by
// separate calls so that the caller can look at the handshake hash in between (SecureChannel signs
// it in its payload).
class HandshakeXX {
 public:
  enum class Result {
    kOk,
    kMalformed,     // message shorter than its tokens, or called out of turn
    kBadEphemeral,  // a DH with the peer's ephemeral key gave zero (low-order point)
    kBadStatic,     // a DH with the peer's static key gave zero
    kAuth,          // a ciphertext did not authenticate
    kExhausted,     // cipher counter exhausted (cannot happen in a handshake)
  };

  // `s_pub`/`s_sec`: this side's X25519 static key pair. `fixed_ephemeral`: nullptr in production
  // (fresh key from crypto_box_keypair when the e token is written); the test vectors pass the
  // X25519 secret key to use instead.
  HandshakeXX(bool initiator, std::span<const std::uint8_t> prologue, std::span<const std::uint8_t, kDhLen> s_pub,
              std::span<const std::uint8_t, kDhLen> s_sec, const std::uint8_t* fixed_ephemeral = nullptr);
  HandshakeXX(const HandshakeXX&) = delete;
  HandshakeXX& operator=(const HandshakeXX&) = delete;
  ~HandshakeXX();

  // Appends this side's next message's tokens to `out`; then write_payload() its payload.
  Result write_tokens(Bytes& out);
  Result write_payload(std::span<const std::uint8_t> payload, Bytes& out);
  // Reads the peer's next message's tokens from the front of `m` (`used` = bytes consumed); then
  // read_payload() the rest.
  Result read_tokens(std::span<const std::uint8_t> m, std::size_t& used);
  Result read_payload(std::span<const std::uint8_t> cipher, Bytes& payload);

  // Messages completed (tokens and payload), 0..3. Done at 3: then split().
  int messages() const { return done_; }
  bool initiator() const { return initiator_; }
  const std::uint8_t* handshake_hash() const { return sym_.h(); }
  const std::uint8_t* remote_static() const { return rs_; }
  const std::uint8_t* remote_ephemeral() const { return re_; }
  const std::uint8_t* local_ephemeral() const { return e_pub_; }
  // Split(): c1 is the initiator's sending cipher, c2 the responder's.
  void split(CipherState& c1, CipherState& c2) const { sym_.split(c1, c2); }

 private:
  Result dh(const std::uint8_t* local_sec, const std::uint8_t* remote_pub, Result bad);
  // A DH token's key agreement: our ephemeral or static secret with the peer's ephemeral or
  // static public key (which ones a token means for this side: dh_keys() in noise_xx.cpp).
  Result dh_pair(bool local_ephemeral, bool remote_ephemeral);

  SymmetricState sym_;
  bool initiator_;
  int done_ = 0;
  bool tokens_done_ = false;  // tokens of message done_ processed, payload pending
  bool has_fixed_e_ = false;
  std::uint8_t s_pub_[kDhLen]{}, s_sec_[kDhLen]{};
  std::uint8_t e_pub_[kDhLen]{}, e_sec_[kDhLen]{};
  std::uint8_t re_[kDhLen]{}, rs_[kDhLen]{};
};

}  // namespace butter::host::noise
