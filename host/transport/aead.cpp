// ChaCha20-Poly1305 from libsodium or OpenSSL EVP, per message size. See aead.hpp.
#include "transport/aead.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace butter::host::noise {

namespace {

void sodium_seal(const std::uint8_t* key, const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                 std::span<const std::uint8_t> plain, std::uint8_t* out) {
  unsigned long long clen = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, plain.data(), plain.size(), ad.data(), ad.size(), nullptr,
                                            nonce, key);
}

bool sodium_open(const std::uint8_t* key, const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                 std::span<const std::uint8_t> cipher, std::uint8_t* out) {
  unsigned long long mlen = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, nullptr, cipher.data(), cipher.size(), ad.data(), ad.size(),
                                                nonce, key) == 0)
    return true;
  // libsodium checks before it decrypts; wiped anyway so no version's behaviour is relied on.
  if (cipher.size() > kAeadTagLen) sodium_memzero(out, cipher.size() - kAeadTagLen);
  return false;
}

EVP_CIPHER_CTX* new_context(const std::uint8_t* key, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return nullptr;
  if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key, nullptr, encrypt ? 1 : 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

bool evp_seal_with(EVP_CIPHER_CTX* ctx, const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                   std::span<const std::uint8_t> plain, std::uint8_t* out) {
  int len = 0, tail = 0;
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) != 1) return false;
  if (!ad.empty() && EVP_EncryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) return false;
  if (EVP_EncryptUpdate(ctx, out, &len, plain.data(), static_cast<int>(plain.size())) != 1) return false;
  if (EVP_EncryptFinal_ex(ctx, out + len, &tail) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagLen), out + plain.size()) == 1;
}

// 1 ok, 0 does not authenticate, -1 OpenSSL failed before writing a byte of `out` (only then may
// the caller try libsodium on the same input: in place, `out` is the ciphertext). The tag is set
// before any plaintext is written, so no OpenSSL failure after that point can leave the caller
// holding plaintext it might retry on; on 0 the n bytes written are wiped (they never authenticated).
int evp_open_with(EVP_CIPHER_CTX* ctx, const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                  std::span<const std::uint8_t> cipher, std::uint8_t* out) {
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

// OpenSSL must seal a fixed message exactly as libsodium does and open what libsodium sealed.
bool openssl_agrees() {
  std::uint8_t key[kAeadKeyLen], nonce[kAeadNonceLen];
  for (std::size_t i = 0; i < sizeof key; ++i) key[i] = static_cast<std::uint8_t>(0x80 + i);
  for (std::size_t i = 0; i < sizeof nonce; ++i) nonce[i] = static_cast<std::uint8_t>(i * 7);
  std::vector<std::uint8_t> plain(kLargeMessage * 3 + 5), ad{1, 2, 3};
  for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<std::uint8_t>(i * 31);
  std::vector<std::uint8_t> a(plain.size() + kAeadTagLen), b(a.size()), back(plain.size());
  sodium_seal(key, nonce, ad, plain, a.data());
  EVP_CIPHER_CTX* enc = new_context(key, true);
  EVP_CIPHER_CTX* dec = new_context(key, false);
  bool ok = enc && dec && evp_seal_with(enc, nonce, ad, plain, b.data()) && a == b &&
            evp_open_with(dec, nonce, ad, a, back.data()) == 1 && back == plain;
  if (ok) {  // and refuses a flipped bit
    a[7] ^= 1;
    ok = evp_open_with(dec, nonce, ad, a, back.data()) == 0;
  }
  EVP_CIPHER_CTX_free(enc);
  EVP_CIPHER_CTX_free(dec);
  return ok;
}

// OpenSSL / libsodium throughput sealing 16 KiB, best of a few short rounds (about 2 ms in all).
double measure_speedup() {
  std::uint8_t key[kAeadKeyLen] = {7}, nonce[kAeadNonceLen] = {};
  std::vector<std::uint8_t> plain(16 * 1024, 0x5a), out(plain.size() + kAeadTagLen);
  EVP_CIPHER_CTX* enc = new_context(key, true);
  if (!enc) return 0;
  using clock = std::chrono::steady_clock;
  double best_sodium = 1e9, best_openssl = 1e9;
  for (int round = 0; round < 5; ++round) {
    auto t0 = clock::now();
    for (int i = 0; i < 8; ++i) sodium_seal(key, nonce, {}, plain, out.data());
    auto t1 = clock::now();
    for (int i = 0; i < 8; ++i) (void)evp_seal_with(enc, nonce, {}, plain, out.data());
    auto t2 = clock::now();
    best_sodium = std::min(best_sodium, std::chrono::duration<double>(t1 - t0).count());
    best_openssl = std::min(best_openssl, std::chrono::duration<double>(t2 - t1).count());
  }
  EVP_CIPHER_CTX_free(enc);
  return best_openssl > 0 ? best_sodium / best_openssl : 0;
}

AeadChoice decide() {
  AeadChoice c;
  if (sodium_init() < 0) {  // cannot happen once the host runs; be safe anyway
    c.why = "libsodium did not initialise";
    return c;
  }
  const char* forced = std::getenv("BUTTER_AEAD");
  const std::string_view force = forced ? forced : "";
  if (!openssl_agrees()) {
    c.why = "libsodium for every message (OpenSSL's ChaCha20-Poly1305 failed its known-answer check)";
    return c;
  }
  if (force == "libsodium") {
    c.why = "libsodium for every message (BUTTER_AEAD=libsodium)";
    return c;
  }
  c.speedup = measure_speedup();
  if (force == "openssl" || c.speedup > 1.1) {
    c.openssl_for_large = true;
    c.why = "OpenSSL EVP from " + std::to_string(kLargeMessage) + " bytes, libsodium below (" +
            (force == "openssl" ? std::string("BUTTER_AEAD=openssl") : "measured") + ")";
  } else {
    c.why = "libsodium for every message (OpenSSL not faster on this CPU)";
  }
  return c;
}

}  // namespace

const AeadChoice& aead_choice() {
  static const AeadChoice choice = decide();
  return choice;
}

ChaChaPoly::~ChaChaPoly() {
  EVP_CIPHER_CTX_free(enc_);  // resets the context, which wipes OpenSSL's copy of the key
  EVP_CIPHER_CTX_free(dec_);
  sodium_memzero(key_, sizeof key_);
}

void ChaChaPoly::set_key(const std::uint8_t key[kAeadKeyLen]) {
  std::memcpy(key_, key, kAeadKeyLen);
  EVP_CIPHER_CTX_free(enc_);
  EVP_CIPHER_CTX_free(dec_);
  enc_ = dec_ = nullptr;
}

bool ChaChaPoly::use_openssl(std::size_t n) const {
  switch (path_) {
    case AeadPath::kSodium:
      return false;
    case AeadPath::kOpenSsl:
      return true;
    default:
      return n >= kLargeMessage && aead_choice().openssl_for_large;
  }
}

bool ChaChaPoly::evp_seal(const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                          std::span<const std::uint8_t> plain, std::uint8_t* out) {
  if (!enc_) enc_ = new_context(key_, true);
  return enc_ && evp_seal_with(enc_, nonce, ad, plain, out);
}

int ChaChaPoly::evp_open(const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                         std::span<const std::uint8_t> cipher, std::uint8_t* out) {
  if (!dec_) dec_ = new_context(key_, false);
  return dec_ ? evp_open_with(dec_, nonce, ad, cipher, out) : -1;
}

void ChaChaPoly::seal(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
                      std::span<const std::uint8_t> plain, std::uint8_t* out) {
  if (use_openssl(plain.size()) && evp_seal(nonce, ad, plain, out)) return;
  sodium_seal(key_, nonce, ad, plain, out);  // also where an OpenSSL call failed: same bytes
}

bool ChaChaPoly::evp_seal_gather(const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                                 std::span<const std::span<const std::uint8_t>> pieces, std::size_t total,
                                 std::uint8_t* out) {
  if (!enc_) enc_ = new_context(key_, true);
  if (!enc_) return false;
  int len = 0, tail = 0;
  if (EVP_EncryptInit_ex(enc_, nullptr, nullptr, nullptr, nonce) != 1) return false;
  if (!ad.empty() && EVP_EncryptUpdate(enc_, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) return false;
  std::size_t written = 0;
  for (const auto& piece : pieces) {
    if (piece.empty()) continue;
    // A stream cipher: each update writes exactly its input's length (checked, not assumed).
    if (EVP_EncryptUpdate(enc_, out + written, &len, piece.data(), static_cast<int>(piece.size())) != 1 ||
        static_cast<std::size_t>(len) != piece.size())
      return false;
    written += piece.size();
  }
  if (written != total || EVP_EncryptFinal_ex(enc_, out + written, &tail) != 1 || tail != 0) return false;
  return EVP_CIPHER_CTX_ctrl(enc_, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagLen), out + total) == 1;
}

void ChaChaPoly::seal_gather(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
                             std::span<const std::span<const std::uint8_t>> pieces, std::uint8_t* out) {
  std::size_t total = 0;
  for (const auto& piece : pieces) total += piece.size();
  if (use_openssl(total) && evp_seal_gather(nonce, ad, pieces, total, out)) return;
  // Joined where the ciphertext goes, then sealed in place (libsodium XORs the keystream over
  // the message and authenticates the result, so input and output may be the same bytes).
  std::size_t at = 0;
  for (const auto& piece : pieces) {
    if (!piece.empty()) std::memcpy(out + at, piece.data(), piece.size());
    at += piece.size();
  }
  sodium_seal(key_, nonce, ad, std::span<const std::uint8_t>(out, total), out);
}

bool ChaChaPoly::open(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
                      std::span<const std::uint8_t> cipher, std::uint8_t* out) {
  if (cipher.size() < kAeadTagLen) return false;
  if (use_openssl(cipher.size() - kAeadTagLen)) {
    const int r = evp_open(nonce, ad, cipher, out);
    if (r >= 0) return r == 1;
    // Nothing was written, but in place a fallback would be one more path that reads bytes
    // which could have been plaintext: refuse instead (OpenSSL failing at all is an anomaly).
    if (out == cipher.data()) return false;
  }
  // libsodium checks the tag before it writes; sodium_open wipes `out` when the check fails.
  return sodium_open(key_, nonce, ad, cipher, out);
}

}  // namespace butter::host::noise
