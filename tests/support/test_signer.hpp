// TestSigner: an Ed25519 key of a test's own (libsodium) that signs in the same domain-separated
// framing as the host's butter.identity/1 ("butter/sign/1" 0 context 0 message), so a test can
// produce what a real node signs, or play an attacker signing with the wrong key. Header-only:
// only tests that link libsodium include it (the wiki's and the chat's).
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace butter::test {

struct TestSigner {
  using Key = std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES>;
  using Sig = std::array<std::uint8_t, crypto_sign_BYTES>;

  Key pk{};
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> sk{};

  TestSigner() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium does not initialise");
    crypto_sign_keypair(pk.data(), sk.data());
  }

  static std::string framed(std::string_view ctx, std::string_view msg) {
    std::string m = "butter/sign/1";
    m.push_back('\0');
    m.append(ctx);
    m.push_back('\0');
    m.append(msg);
    return m;
  }

  Sig sign(std::string_view ctx, std::string_view msg) const {
    Sig s{};
    const std::string m = framed(ctx, msg);
    crypto_sign_detached(s.data(), nullptr, reinterpret_cast<const unsigned char*>(m.data()), m.size(), sk.data());
    return s;
  }

  // The public key as a node id (64 lowercase hex digits).
  std::string hex() const {
    static const char* d = "0123456789abcdef";
    std::string out;
    for (std::uint8_t b : pk) out += {d[b >> 4], d[b & 15]};
    return out;
  }

  static bool verify(const Key& k, std::string_view ctx, std::string_view msg, const Sig& s) {
    const std::string m = framed(ctx, msg);
    return crypto_sign_verify_detached(s.data(), reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                                       k.data()) == 0;
  }
};

}  // namespace butter::test
