// ChaCha20-Poly1305 (IETF, RFC 8439) for Noise's CipherState, taken from three well-kept
// implementations: libsodium, whose setup is cheapest (faster for short messages), and two
// vectorised ones, OpenSSL 3's EVP and libgcrypt, which run 1.5-4x as fast from 1 KiB up
// (`butter-bench-aead`; libgcrypt stitches the cipher and the MAC into one pass, OpenSSL 3.0 does
// not). All produce the same bytes, so each message may use any: messages of at least
// kLargeMessage bytes go through the vectorised implementation that this process's one-time check
// (aead_choice) found correct (a fixed vector sealed by it and libsodium matches, and it opens
// libsodium's) and fastest on this CPU (aead_pick.hpp: interleaved timings); everything else, and every
// message should a library call fail, goes through libsodium. The wire format is unchanged.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <memory>
#include <string>

namespace butter::host::noise {

inline constexpr std::size_t kAeadKeyLen = 32;
inline constexpr std::size_t kAeadNonceLen = 12;
inline constexpr std::size_t kAeadTagLen = 16;
// Below this, libsodium was faster here (its per-call setup is cheaper); measured crossover 0.5-1 KiB.
inline constexpr std::size_t kLargeMessage = 1024;

enum class AeadImpl { kSodium, kOpenSsl, kGcrypt };
const char* aead_impl_name(AeadImpl impl);  // "libsodium", "OpenSSL EVP", "libgcrypt"

struct AeadChoice {
  AeadImpl large = AeadImpl::kSodium;  // what messages >= kLargeMessage go through
  double speedup = 0;                  // its median speed-up over libsodium sealing 16 KiB (0: not measured)
  std::string why;                     // for the log and /status
};
// Decided once per process, on first use. BUTTER_AEAD=libsodium, =openssl or =gcrypt in the
// environment forces one implementation for large messages (benchmarks compare them in the same
// run); a vectorised one still has to pass the known-answer check.
const AeadChoice& aead_choice();

// Which implementation a ChaChaPoly uses: the process's choice (production), or one of them for
// every message (tests check all give the same bytes; butter-bench-aead compares their speed).
enum class AeadPath { kChosen, kSodium, kOpenSsl, kGcrypt };

class VectorAead;  // aead_backend.hpp

// One key, one direction: a CipherState owns one. Not thread-safe (a connection uses it on its
// strand).
class ChaChaPoly {
 public:
  explicit ChaChaPoly(AeadPath path = AeadPath::kChosen);
  ChaChaPoly(const ChaChaPoly&) = delete;
  ChaChaPoly& operator=(const ChaChaPoly&) = delete;
  ~ChaChaPoly();

  void set_key(const std::uint8_t key[kAeadKeyLen]);
  // Writes ciphertext || tag (plain.size() + kAeadTagLen bytes) to `out`.
  void seal(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
            std::span<const std::uint8_t> plain, std::uint8_t* out);
  // As seal(), for a message given in pieces (a frame's head and payload, several frames): writes
  // the ciphertext of their concatenation, then the tag, to `out` without joining them first
  // (the vectorised libraries take them one call each; libsodium, for short messages, gets them
  // copied into `out` and sealed in place). `out` may not overlap the pieces.
  void seal_gather(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
                   std::span<const std::span<const std::uint8_t>> pieces, std::uint8_t* out);
  // Writes cipher.size() - kAeadTagLen bytes of plaintext to `out`; false when it does not
  // authenticate (or cipher is shorter than a tag). `out` may be cipher.data() (in place).
  bool open(const std::uint8_t nonce[kAeadNonceLen], std::span<const std::uint8_t> ad,
            std::span<const std::uint8_t> cipher, std::uint8_t* out);

 private:
  // The vectorised implementation for a message of n bytes, made on first use; nullptr means
  // libsodium (short messages, a forced or chosen libsodium, or a library that gave no context).
  VectorAead* vector_for(std::size_t n);

  AeadPath path_;
  std::uint8_t key_[kAeadKeyLen]{};
  std::unique_ptr<VectorAead> vector_;
  bool vector_failed_ = false;  // the library gave no context for this key: libsodium from now on
};

}  // namespace butter::host::noise
