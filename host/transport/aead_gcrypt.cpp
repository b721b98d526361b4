// ChaCha20-Poly1305 from libgcrypt (aead_backend.hpp). Since 1.9 it stitches ChaCha20 and
// Poly1305 into one pass over the message on AVX2 and AVX-512 CPUs, where OpenSSL 3.0 makes two:
// on the development machine (AVX2) 2.8 GB/s sealing 64 KiB against OpenSSL's 2.0.
#include <gcrypt.h>
#include <sodium.h>

#include <cstring>
#include <mutex>

#include "transport/aead_backend.hpp"

namespace butter::host::noise {

namespace {

// libgcrypt must be initialised once per process before its first use. A program that links it
// for its own reasons may have done so already (then its settings stand).
bool gcrypt_ready() {
  static const bool ready = [] {
    if (!gcry_check_version(GCRYPT_VERSION)) return false;
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
      // Keys live in ordinary memory here as they do for libsodium and OpenSSL (each context
      // wipes its copy on close); secure memory would only add a pool to size.
      gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
      gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    return true;
  }();
  return ready;
}

class GcryptAead final : public VectorAead {
 public:
  explicit GcryptAead(gcry_cipher_hd_t h) : h_(h) {}
  ~GcryptAead() override { gcry_cipher_close(h_); }  // libgcrypt wipes the handle's key
  GcryptAead(const GcryptAead&) = delete;
  GcryptAead& operator=(const GcryptAead&) = delete;

  bool seal_gather(const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                   std::span<const std::span<const std::uint8_t>> pieces, std::size_t total,
                   std::uint8_t* out) override {
    if (!start(nonce, ad)) return false;
    std::size_t written = 0;
    for (const auto& piece : pieces) {
      if (piece.empty()) continue;
      // The mode keeps the keystream's unused bytes between calls: pieces need no alignment.
      if (gcry_cipher_encrypt(h_, out + written, piece.size(), piece.data(), piece.size()) != 0) return false;
      written += piece.size();
    }
    return written == total && gcry_cipher_gettag(h_, out + total, kAeadTagLen) == 0;
  }

  // libgcrypt decrypts before it checks the tag: what it wrote is wiped when the check fails.
  int open(const std::uint8_t* nonce, std::span<const std::uint8_t> ad, std::span<const std::uint8_t> cipher,
           std::uint8_t* out) override {
    if (!start(nonce, ad)) return -1;
    const std::size_t n = cipher.size() - kAeadTagLen;
    std::uint8_t tag[kAeadTagLen];
    std::memcpy(tag, cipher.data() + n, kAeadTagLen);
    const bool in_place = out == cipher.data();
    const bool ok = gcry_cipher_decrypt(h_, out, n, in_place ? nullptr : cipher.data(), in_place ? 0 : n) == 0 &&
                    gcry_cipher_checktag(h_, tag, kAeadTagLen) == 0;
    if (!ok && n > 0) sodium_memzero(out, n);
    return ok ? 1 : 0;
  }

 private:
  // Setting the nonce starts a new message (it resets the mode's counts and derives the
  // one-time Poly1305 key); the associated data must come before the first byte of text.
  bool start(const std::uint8_t* nonce, std::span<const std::uint8_t> ad) {
    if (gcry_cipher_setiv(h_, nonce, kAeadNonceLen) != 0) return false;
    return ad.empty() || gcry_cipher_authenticate(h_, ad.data(), ad.size()) == 0;
  }

  gcry_cipher_hd_t h_;
};

}  // namespace

std::unique_ptr<VectorAead> make_gcrypt_aead(const std::uint8_t key[kAeadKeyLen]) {
  if (!gcrypt_ready()) return nullptr;
  gcry_cipher_hd_t h = nullptr;
  if (gcry_cipher_open(&h, GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_POLY1305, 0) != 0) return nullptr;
  if (gcry_cipher_setkey(h, key, kAeadKeyLen) != 0) {
    gcry_cipher_close(h);
    return nullptr;
  }
  return std::make_unique<GcryptAead>(h);
}

}  // namespace butter::host::noise
