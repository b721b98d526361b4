// ChaCha20-Poly1305 (IETF, RFC 8439) for Noise's CipherState, taken from two well-kept
// implementations: libsodium, whose setup is cheapest (faster for short messages), and OpenSSL 3's
// EVP, whose vectorised code (AVX2 / AVX-512 where the CPU has them) runs about twice as fast from
// 1 KiB up on the development machine (`butter-bench-aead`). Both produce the same bytes, so each
// message may use either: messages of at least kLargeMessage bytes go through OpenSSL when this
// process's one-time check (aead_choice) found it correct (a fixed vector sealed by both matches)
// and faster on this CPU (a short timing of both); everything else, and every message should an
// OpenSSL call fail, goes through libsodium. The wire format is unchanged.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace butter::host::noise {

inline constexpr std::size_t kAeadKeyLen = 32;
inline constexpr std::size_t kAeadNonceLen = 12;
inline constexpr std::size_t kAeadTagLen = 16;
// Below this, libsodium was faster here (its per-call setup is cheaper); measured crossover 0.5-1 KiB.
inline constexpr std::size_t kLargeMessage = 1024;

struct AeadChoice {
  bool openssl_for_large = false;  // messages >= kLargeMessage go through OpenSSL EVP
  double speedup = 0;              // OpenSSL / libsodium throughput at 16 KiB, as measured (0: not measured)
  std::string why;                 // for the log and /status
};
// Decided once per process, on first use. BUTTER_AEAD=libsodium or =openssl in the environment
// forces one implementation (benchmarks compare them in the same run); OpenSSL still has to pass
// the known-answer check.
const AeadChoice& aead_choice();

// Which implementation a ChaChaPoly uses: the process's choice (production), or one of them for
// every message (tests check both give the same bytes; butter-bench-aead compares their speed).
enum class AeadPath { kChosen, kSodium, kOpenSsl };

// One key, one direction: a CipherState owns one. Not thread-safe (a connection uses it on its
// strand).
class ChaChaPoly {
 public:
  explicit ChaChaPoly(AeadPath path = AeadPath::kChosen) : path_(path) {}
  ChaChaPoly(const ChaChaPoly&) = delete;
  ChaChaPoly& operator=(const ChaChaPoly&) = delete;
  ~ChaChaPoly();

  void set_key(const std::uint8_t key[kAeadKeyLen]);
  // Writes ciphertext || tag (plain.size() + kAeadTagLen bytes) to `out`.
  void seal(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
            std::span<const std::uint8_t> plain, std::uint8_t* out);
  // As seal(), for a message given in pieces (a frame's head and payload, several frames): writes
  // the ciphertext of their concatenation, then the tag, to `out` without joining them first
  // (OpenSSL takes them one update each; libsodium, for short messages, gets them copied into
  // `out` and sealed in place). `out` may not overlap the pieces.
  void seal_gather(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
                   std::span<const std::span<const std::uint8_t>> pieces, std::uint8_t* out);
  // Writes cipher.size() - kAeadTagLen bytes of plaintext to `out`; false when it does not
  // authenticate (or cipher is shorter than a tag). `out` may be cipher.data() (in place).
  bool open(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
            std::span<const std::uint8_t> cipher, std::uint8_t* out);

 private:
  bool use_openssl(std::size_t n) const;
  bool evp_seal(const std::uint8_t* nonce, std::span<const std::uint8_t> ad, std::span<const std::uint8_t> plain,
                std::uint8_t* out);
  bool evp_seal_gather(const std::uint8_t* nonce, std::span<const std::uint8_t> ad,
                       std::span<const std::span<const std::uint8_t>> pieces, std::size_t total, std::uint8_t* out);
  int evp_open(const std::uint8_t* nonce, std::span<const std::uint8_t> ad, std::span<const std::uint8_t> cipher,
               std::uint8_t* out);  // 1 ok, 0 does not authenticate, -1 OpenSSL failed

  AeadPath path_;
  std::uint8_t key_[kAeadKeyLen]{};
  EVP_CIPHER_CTX* enc_ = nullptr;  // made on first large message, keyed once
  EVP_CIPHER_CTX* dec_ = nullptr;
};

}  // namespace butter::host::noise
