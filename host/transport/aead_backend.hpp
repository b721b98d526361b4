// The ChaCha20-Poly1305 implementations behind ChaChaPoly (aead.hpp), for its own use and its
// tests: libsodium as free functions (the reference, cheapest per call), and the vectorised ones
// (OpenSSL 3 EVP, libgcrypt) behind one small interface, each holding its own copy of one key.
#pragma once
#include "transport/aead.hpp"

#include <memory>

namespace butter::host::noise {

void sodium_seal(const std::uint8_t* key, const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                 std::span<const std::uint8_t> plain, std::uint8_t* out);
// Wipes `out` when the message does not authenticate.
bool sodium_open(const std::uint8_t* key, const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                 std::span<const std::uint8_t> cipher, std::uint8_t* out);

// One key, one direction at a time (a ChaChaPoly uses one for sealing or for opening).
class VectorAead {
 public:
  virtual ~VectorAead() = default;
  // The ciphertext of the pieces' concatenation (`total` bytes), then the tag, to `out`, which may
  // not overlap them. False when the library failed (then `out` holds nothing to rely on).
  virtual bool seal_gather(const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                           std::span<const std::span<const std::uint8_t>> pieces, std::size_t total,
                           std::uint8_t* out) = 0;
  // 1 ok, 0 does not authenticate (the bytes written to `out` are wiped), -1 the library failed
  // before writing a byte of `out`. `out` may be cipher.data() (in place).
  virtual int open(const std::uint8_t* nonce, std::span<const std::uint8_t> ad, std::span<const std::uint8_t> cipher,
                   std::uint8_t* out) = 0;
};

// nullptr when the library cannot give a context for this key.
std::unique_ptr<VectorAead> make_openssl_aead(const std::uint8_t key[kAeadKeyLen]);
std::unique_ptr<VectorAead> make_gcrypt_aead(const std::uint8_t key[kAeadKeyLen]);
std::unique_ptr<VectorAead> make_vector_aead(AeadImpl impl, const std::uint8_t key[kAeadKeyLen]);

}  // namespace butter::host::noise
