// ChaCha20-Poly1305 from OpenSSL 3's EVP (aead_backend.hpp).
#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>

#include "transport/aead_backend.hpp"

namespace butter::host::noise {

namespace {

class EvpAead final : public VectorAead {
 public:
  explicit EvpAead(const std::uint8_t* key) { std::memcpy(key_, key, kAeadKeyLen); }
  ~EvpAead() override {
    EVP_CIPHER_CTX_free(enc_);  // resets the context, which wipes OpenSSL's copy of the key
    EVP_CIPHER_CTX_free(dec_);
    sodium_memzero(key_, sizeof key_);
  }
  EvpAead(const EvpAead&) = delete;
  EvpAead& operator=(const EvpAead&) = delete;

  bool seal_gather(const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                   std::span<const std::span<const std::uint8_t>> pieces, std::size_t total,
                   std::uint8_t* out) override {
    EVP_CIPHER_CTX* ctx = context(enc_, true);
    if (!ctx) return false;
    int len = 0, tail = 0;
    if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) != 1) return false;
    if (!ad.empty() && EVP_EncryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) return false;
    std::size_t written = 0;
    for (const auto& piece : pieces) {
      if (piece.empty()) continue;
      // A stream cipher: each update writes exactly its input's length (checked, not assumed).
      if (EVP_EncryptUpdate(ctx, out + written, &len, piece.data(), static_cast<int>(piece.size())) != 1 ||
          static_cast<std::size_t>(len) != piece.size())
        return false;
      written += piece.size();
    }
    if (written != total || EVP_EncryptFinal_ex(ctx, out + written, &tail) != 1 || tail != 0) return false;
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagLen), out + total) == 1;
  }

  // The tag is set before any plaintext is written, so no OpenSSL failure after that point can
  // leave the caller holding plaintext it might retry on.
  int open(const std::uint8_t* nonce, std::span<const std::uint8_t> ad, std::span<const std::uint8_t> cipher,
           std::uint8_t* out) override {
    EVP_CIPHER_CTX* ctx = context(dec_, false);
    if (!ctx) return -1;
    const std::size_t n = cipher.size() - kAeadTagLen;
    int len = 0, tail = 0;
    if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) != 1) return -1;
    std::uint8_t tag[kAeadTagLen];  // copied: in place, out + n is where the tag lies
    std::memcpy(tag, cipher.data() + n, kAeadTagLen);
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagLen), tag) != 1) return -1;
    if (!ad.empty() && EVP_DecryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) return -1;
    // From here on `out` may hold bytes: every failure is final and wipes them.
    const bool ok = EVP_DecryptUpdate(ctx, out, &len, cipher.data(), static_cast<int>(n)) == 1 &&
                    EVP_DecryptFinal_ex(ctx, out + len, &tail) == 1;
    if (!ok && n > 0) sodium_memzero(out, n);
    return ok ? 1 : 0;
  }

 private:
  // Made on first use, keyed once: each message only sets its nonce.
  EVP_CIPHER_CTX* context(EVP_CIPHER_CTX*& slot, bool encrypt) {
    if (slot) return slot;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx && EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key_, nullptr, encrypt ? 1 : 0) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      ctx = nullptr;
    }
    return slot = ctx;
  }

  std::uint8_t key_[kAeadKeyLen];
  EVP_CIPHER_CTX* enc_ = nullptr;
  EVP_CIPHER_CTX* dec_ = nullptr;
};

}  // namespace

std::unique_ptr<VectorAead> make_openssl_aead(const std::uint8_t key[kAeadKeyLen]) {
  return std::make_unique<EvpAead>(key);
}

}  // namespace butter::host::noise
