// ChaCha20-Poly1305 from libsodium, OpenSSL EVP or libgcrypt, per message size. See aead.hpp.
#include "transport/aead.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "transport/aead_backend.hpp"
#include "transport/aead_pick.hpp"

namespace butter::host::noise {

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

std::unique_ptr<VectorAead> make_vector_aead(AeadImpl impl, const std::uint8_t key[kAeadKeyLen]) {
  switch (impl) {
    case AeadImpl::kOpenSsl:
      return make_openssl_aead(key);
    case AeadImpl::kGcrypt:
      return make_gcrypt_aead(key);
    default:
      return nullptr;
  }
}

const char* aead_impl_name(AeadImpl impl) {
  switch (impl) {
    case AeadImpl::kOpenSsl:
      return "OpenSSL EVP";
    case AeadImpl::kGcrypt:
      return "libgcrypt";
    default:
      return "libsodium";
  }
}

namespace {

// A vectorised implementation must seal a fixed message, given in uneven pieces, exactly as
// libsodium does, open what libsodium sealed, in place too, and refuse a flipped bit.
bool agrees_with_sodium(AeadImpl impl) {
  std::uint8_t key[kAeadKeyLen], nonce[kAeadNonceLen];
  for (std::size_t i = 0; i < sizeof key; ++i) key[i] = static_cast<std::uint8_t>(0x80 + i);
  for (std::size_t i = 0; i < sizeof nonce; ++i) nonce[i] = static_cast<std::uint8_t>(i * 7);
  std::vector<std::uint8_t> plain(kLargeMessage * 3 + 5), ad{1, 2, 3};
  for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<std::uint8_t>(i * 31);
  std::vector<std::uint8_t> a(plain.size() + kAeadTagLen), b(a.size()), back(plain.size());
  sodium_seal(key, nonce, ad, plain, a.data());
  const auto sealer = make_vector_aead(impl, key);
  const auto opener = make_vector_aead(impl, key);
  if (!sealer || !opener) return false;
  const std::span<const std::uint8_t> all(plain);
  const std::span<const std::uint8_t> pieces[] = {all.first(13), all.subspan(13, 1000), all.subspan(1013)};
  if (!sealer->seal_gather(nonce, ad, pieces, plain.size(), b.data()) || a != b) return false;
  if (opener->open(nonce, ad, a, back.data()) != 1 || back != plain) return false;
  b = a;
  if (opener->open(nonce, ad, b, b.data()) != 1 || !std::equal(plain.begin(), plain.end(), b.begin())) return false;
  a[7] ^= 1;
  return opener->open(nonce, ad, a, back.data()) == 0;
}

constexpr int kTimingRounds = 15;
constexpr int kSealsPerRound = 2;

// kTimingRounds rounds of kSealsPerRound 16 KiB seals by libsodium and by each vectorised
// implementation that is offered, back to back, starting with a different one each round so that
// none is always the first after a pause (about 1.5 ms in all here). Rule: aead_pick.hpp.
std::vector<AeadRound> time_rounds(bool openssl, bool gcrypt) {
  std::uint8_t key[kAeadKeyLen] = {7}, nonce[kAeadNonceLen] = {};
  std::vector<std::uint8_t> plain(16 * 1024, 0x5a), out(plain.size() + kAeadTagLen);
  const auto openssl_sealer = openssl ? make_vector_aead(AeadImpl::kOpenSsl, key) : nullptr;
  const auto gcrypt_sealer = gcrypt ? make_vector_aead(AeadImpl::kGcrypt, key) : nullptr;
  const std::span<const std::uint8_t> pieces[] = {plain};
  using clock = std::chrono::steady_clock;
  // Seconds for one implementation's seals; 0 when it is not offered or a call failed.
  auto time_one = [&](int which) {
    VectorAead* v = which == 1 ? openssl_sealer.get() : which == 2 ? gcrypt_sealer.get() : nullptr;
    if (which != 0 && !v) return 0.0;
    const auto t0 = clock::now();
    for (int i = 0; i < kSealsPerRound; ++i) {
      if (which == 0)
        sodium_seal(key, nonce, {}, plain, out.data());
      else if (!v->seal_gather(nonce, {}, pieces, plain.size(), out.data()))
        return 0.0;
    }
    return std::chrono::duration<double>(clock::now() - t0).count();
  };
  for (int which = 0; which < 3; ++which) (void)time_one(which);  // first calls: library set-up, page faults
  std::vector<AeadRound> rounds(kTimingRounds);
  for (int r = 0; r < kTimingRounds; ++r) {
    double took[3] = {};
    for (int k = 0; k < 3; ++k) {
      const int which = (r + k) % 3;
      took[which] = time_one(which);
    }
    rounds[static_cast<std::size_t>(r)] = AeadRound{took[0], took[1], took[2]};
  }
  return rounds;
}

std::string one_decimal(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

AeadChoice decide() {
  AeadChoice c;
  if (sodium_init() < 0) {  // cannot happen once the host runs; be safe anyway
    c.why = "libsodium for every message (libsodium did not initialise)";
    return c;
  }
  const char* forced_env = std::getenv("BUTTER_AEAD");
  std::string_view force = forced_env ? forced_env : "";
  std::string ignored;  // a value this version does not know: measured as if unset, and said so
  if (!force.empty() && force != "libsodium" && force != "openssl" && force != "gcrypt") {
    ignored = "; BUTTER_AEAD=" + std::string(force) + " ignored (libsodium, openssl or gcrypt)";
    force = {};
  }
  if (force == "libsodium") {
    c.why = "libsodium for every message (BUTTER_AEAD=libsodium)";
    return c;
  }
  const bool openssl_ok = agrees_with_sodium(AeadImpl::kOpenSsl);
  const bool gcrypt_ok = agrees_with_sodium(AeadImpl::kGcrypt);
  std::string refused;
  if (!openssl_ok) refused = aead_impl_name(AeadImpl::kOpenSsl);
  if (!gcrypt_ok) refused += std::string(refused.empty() ? "" : ", ") + aead_impl_name(AeadImpl::kGcrypt);
  const std::vector<AeadRound> rounds = time_rounds(openssl_ok, gcrypt_ok);
  const AeadPick pick = pick_large_aead(rounds);
  c.large = pick.impl;
  c.speedup = pick.speedup;
  // A forced implementation is taken whatever it measured, once it passed the check (libsodium
  // when it did not).
  if (force == "openssl") {
    c.large = openssl_ok ? AeadImpl::kOpenSsl : AeadImpl::kSodium;
    c.speedup = openssl_ok ? pick.openssl : 0;
  } else if (force == "gcrypt") {
    c.large = gcrypt_ok ? AeadImpl::kGcrypt : AeadImpl::kSodium;
    c.speedup = gcrypt_ok ? pick.gcrypt : 0;
  }
  std::string measured;
  if (pick.openssl > 0)
    measured = std::string(aead_impl_name(AeadImpl::kOpenSsl)) + " " + one_decimal(pick.openssl) + "x";
  if (pick.gcrypt > 0)
    measured += std::string(measured.empty() ? "" : ", ") + aead_impl_name(AeadImpl::kGcrypt) + " " +
                one_decimal(pick.gcrypt) + "x";
  const std::string how = !force.empty() ? "BUTTER_AEAD=" + std::string(force) + "; " : std::string();
  const std::string details = " (" + how + "sealing 16 KiB against libsodium, median of " +
                              std::to_string(kTimingRounds) +
                              " rounds: " + (measured.empty() ? std::string("none measured") : measured) +
                              (refused.empty() ? "" : "; failed the known-answer check: " + refused) + ignored + ")";
  if (c.large == AeadImpl::kSodium)
    c.why = "libsodium for every message" + details;
  else
    c.why = std::string(aead_impl_name(c.large)) + " from " + std::to_string(kLargeMessage) +
            " bytes, libsodium below" + details;
  return c;
}

}  // namespace

const AeadChoice& aead_choice() {
  static const AeadChoice choice = decide();
  return choice;
}

ChaChaPoly::ChaChaPoly(AeadPath path) : path_(path) {}

ChaChaPoly::~ChaChaPoly() { sodium_memzero(key_, sizeof key_); }  // each library wipes its own copy

void ChaChaPoly::set_key(const std::uint8_t key[kAeadKeyLen]) {
  std::memcpy(key_, key, kAeadKeyLen);
  vector_.reset();
  vector_failed_ = false;
}

VectorAead* ChaChaPoly::vector_for(std::size_t n) {
  AeadImpl impl = AeadImpl::kSodium;
  switch (path_) {
    case AeadPath::kOpenSsl:
      impl = AeadImpl::kOpenSsl;
      break;
    case AeadPath::kGcrypt:
      impl = AeadImpl::kGcrypt;
      break;
    case AeadPath::kChosen:
      if (n >= kLargeMessage) impl = aead_choice().large;
      break;
    default:
      break;
  }
  if (impl == AeadImpl::kSodium || vector_failed_) return nullptr;
  if (!vector_) {
    vector_ = make_vector_aead(impl, key_);
    vector_failed_ = !vector_;
  }
  return vector_.get();
}

void ChaChaPoly::seal(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
                      std::span<const std::uint8_t> plain, std::uint8_t* out) {
  const std::span<const std::uint8_t> pieces[] = {plain};
  if (VectorAead* v = vector_for(plain.size()); v && v->seal_gather(nonce, ad, pieces, plain.size(), out)) return;
  sodium_seal(key_, nonce, ad, plain, out);  // also where a library call failed: same bytes
}

void ChaChaPoly::seal_gather(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
                             std::span<const std::span<const std::uint8_t>> pieces, std::uint8_t* out) {
  std::size_t total = 0;
  for (const auto& piece : pieces) total += piece.size();
  if (VectorAead* v = vector_for(total); v && v->seal_gather(nonce, ad, pieces, total, out)) return;
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
  if (VectorAead* v = vector_for(cipher.size() - kAeadTagLen)) {
    const int r = v->open(nonce, ad, cipher, out);
    if (r >= 0) return r == 1;
    // Nothing was written, but in place a fallback would be one more path that reads bytes
    // which could have been plaintext: refuse instead (a library failing at all is an anomaly).
    if (out == cipher.data()) return false;
  }
  // libsodium checks the tag before it writes; sodium_open wipes `out` when the check fails.
  return sodium_open(key_, nonce, ad, cipher, out);
}

}  // namespace butter::host::noise
