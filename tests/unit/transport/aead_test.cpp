// The transport's ChaCha20-Poly1305 (host/transport/aead.*): libsodium, OpenSSL EVP and libgcrypt
// seal every size to the same bytes (libsodium's own output is the reference), open each other's
// output, refuse any flipped bit, a wrong nonce or associated data, and a key change takes effect;
// the process's choice passed the known-answer check or says why not.
#include "transport/aead.hpp"

#include "transport/aead_backend.hpp"

#include <sodium.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

using namespace butter::host::noise;

namespace {

std::vector<std::uint8_t> reference_seal(const std::uint8_t* key, const std::uint8_t* nonce,
                                         const std::vector<std::uint8_t>& ad, const std::vector<std::uint8_t>& plain) {
  std::vector<std::uint8_t> out(plain.size() + kAeadTagLen);
  unsigned long long clen = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &clen, plain.data(), plain.size(), ad.data(), ad.size(),
                                            nullptr, nonce, key);
  return out;
}

}  // namespace

TEST_CASE("every ChaCha20-Poly1305 implementation seals and opens every size to the same bytes", "[aead]") {
  REQUIRE(sodium_init() >= 0);
  std::uint8_t key[kAeadKeyLen], nonce[kAeadNonceLen] = {0, 0, 0, 0, 9};
  for (std::size_t i = 0; i < kAeadKeyLen; ++i) key[i] = static_cast<std::uint8_t>(i * 13 + 1);
  const std::vector<std::uint8_t> ad{0xaa, 0xbb};

  for (const AeadPath path : {AeadPath::kSodium, AeadPath::kOpenSsl, AeadPath::kGcrypt, AeadPath::kChosen}) {
    ChaChaPoly seal_side(path), open_side(path == AeadPath::kSodium ? AeadPath::kGcrypt : AeadPath::kSodium);
    seal_side.set_key(key);
    open_side.set_key(key);
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{63}, kLargeMessage - 1, kLargeMessage,
                                kLargeMessage + 1, std::size_t{16384}, std::size_t{65519}}) {
      INFO("path " << static_cast<int>(path) << ", " << n << " bytes");
      std::vector<std::uint8_t> plain(n);
      for (std::size_t i = 0; i < n; ++i) plain[i] = static_cast<std::uint8_t>(i * 7 + n);
      std::vector<std::uint8_t> sealed(n + kAeadTagLen);
      seal_side.seal(nonce, ad, plain, sealed.data());
      CHECK(sealed == reference_seal(key, nonce, ad, plain));

      std::vector<std::uint8_t> back(n, 0xee);
      CHECK(open_side.open(nonce, ad, sealed, back.data()));
      CHECK(back == plain);
      CHECK(seal_side.open(nonce, ad, sealed, back.data()));  // and its own

      for (const std::size_t at : {std::size_t{0}, sealed.size() / 2, sealed.size() - 1}) {
        auto bad = sealed;
        bad[at] ^= 0x01;
        CHECK_FALSE(seal_side.open(nonce, ad, bad, back.data()));
        CHECK_FALSE(open_side.open(nonce, ad, bad, back.data()));
      }
      std::uint8_t other_nonce[kAeadNonceLen] = {0, 0, 0, 0, 10};
      CHECK_FALSE(seal_side.open(other_nonce, ad, sealed, back.data()));
      CHECK_FALSE(seal_side.open(nonce, {}, sealed, back.data()));
    }
  }
}

TEST_CASE("a ChaChaPoly refuses input shorter than a tag and follows a new key", "[aead]") {
  std::uint8_t k1[kAeadKeyLen] = {1}, k2[kAeadKeyLen] = {2}, nonce[kAeadNonceLen] = {};
  for (const AeadPath path : {AeadPath::kSodium, AeadPath::kOpenSsl, AeadPath::kGcrypt}) {
    ChaChaPoly c(path);
    c.set_key(k1);
    std::uint8_t out[32];
    const std::vector<std::uint8_t> short_input(kAeadTagLen - 1, 0);
    CHECK_FALSE(c.open(nonce, {}, short_input, out));

    const std::vector<std::uint8_t> plain(2048, 0x42);
    std::vector<std::uint8_t> sealed(plain.size() + kAeadTagLen), back(plain.size());
    c.seal(nonce, {}, plain, sealed.data());  // makes the library's context under k1
    c.set_key(k2);                            // which must not outlive the key
    CHECK_FALSE(c.open(nonce, {}, sealed, back.data()));
    CHECK(sealed != reference_seal(k2, nonce, {}, plain));
    c.seal(nonce, {}, plain, sealed.data());
    CHECK(sealed == reference_seal(k2, nonce, {}, plain));
  }
}

TEST_CASE("the process's AEAD choice checked each vectorised implementation against libsodium and says what it chose",
          "[aead]") {
  const AeadChoice& c = aead_choice();
  INFO(c.why);
  CHECK_FALSE(c.why.empty());
  CHECK(c.why.find("known-answer") == std::string::npos);  // OpenSSL 3 and libgcrypt on Debian 12 must agree
  if (c.large == AeadImpl::kSodium) {
    CHECK(c.why.find("libsodium for every message") == 0);
  } else {
    CHECK(c.why.find(std::string(aead_impl_name(c.large)) + " from 1024 bytes") == 0);
    CHECK(c.speedup > 1.1);
  }
  // Both libraries are there to choose from, each with its own measured figure.
  if (std::getenv("BUTTER_AEAD") == nullptr) {
    CHECK(c.why.find("OpenSSL EVP ") != std::string::npos);
    CHECK(c.why.find("libgcrypt ") != std::string::npos);
  }
}

// The vectorised implementations themselves, not through ChaChaPoly (which would quietly fall
// back to libsodium's same bytes if a library gave no context): each exists here and seals and
// opens, in place too.
TEST_CASE("OpenSSL EVP and libgcrypt each give a working context of their own", "[aead]") {
  REQUIRE(sodium_init() >= 0);
  std::uint8_t key[kAeadKeyLen] = {4, 5, 6}, nonce[kAeadNonceLen] = {0, 0, 0, 0, 1, 2};
  const std::vector<std::uint8_t> ad{7}, plain(70000, 0x3c);
  for (const AeadImpl impl : {AeadImpl::kOpenSsl, AeadImpl::kGcrypt}) {
    INFO(aead_impl_name(impl));
    const auto v = make_vector_aead(impl, key);
    REQUIRE(v);
    std::vector<std::uint8_t> sealed(plain.size() + kAeadTagLen);
    const std::span<const std::uint8_t> all(plain);
    const std::span<const std::uint8_t> pieces[] = {all.first(1), all.subspan(1, 63), all.subspan(64)};
    REQUIRE(v->seal_gather(nonce, ad, pieces, plain.size(), sealed.data()));
    CHECK(sealed == reference_seal(key, nonce, ad, plain));
    const auto opener = make_vector_aead(impl, key);
    REQUIRE(opener);
    CHECK(opener->open(nonce, ad, sealed, sealed.data()) == 1);
    CHECK(std::equal(plain.begin(), plain.end(), sealed.begin()));
  }
  CHECK_FALSE(make_vector_aead(AeadImpl::kSodium, key));  // libsodium is not one of them
}

// Records are decrypted in place (CipherState::decrypt_in_place): a record that does not
// authenticate must not leave its would-be plaintext where the ciphertext was, on either path.
TEST_CASE("a failed in-place open leaves no plaintext in the buffer", "[aead]") {
  REQUIRE(sodium_init() >= 0);
  std::uint8_t key[kAeadKeyLen] = {9}, nonce[kAeadNonceLen] = {0, 1};
  std::vector<std::uint8_t> plain(4096);
  for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<std::uint8_t>(i % 251 + 1);
  for (const AeadPath path : {AeadPath::kSodium, AeadPath::kOpenSsl, AeadPath::kGcrypt}) {
    INFO("path " << static_cast<int>(path));
    ChaChaPoly c(path);
    c.set_key(key);
    auto buf = reference_seal(key, nonce, {}, plain);
    buf.back() ^= 0x01;  // the tag no longer matches
    CHECK_FALSE(c.open(nonce, {}, buf, buf.data()));
    const std::vector<std::uint8_t> head(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(plain.size()));
    CHECK(head == std::vector<std::uint8_t>(plain.size(), 0));  // wiped: neither plaintext nor left as is

    auto good = reference_seal(key, nonce, {}, plain);  // and in place still works
    REQUIRE(c.open(nonce, {}, good, good.data()));
    CHECK(std::equal(plain.begin(), plain.end(), good.begin()));
  }
}
