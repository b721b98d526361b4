// A deterministic stand-in for libsodium's random source, for the secure-channel fuzz target and
// the corpus generator only: the same input must take the same path every time (libFuzzer relies on
// it), and a seed transcript recorded by fuzz/make_corpus.cpp must replay against the target's
// channel. Each side of a handshake draws from its own stream, selected before each call.
// Install with det_random::install() BEFORE anything calls sodium_init().
#pragma once
#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace butter::fuzz::det_random {

struct Stream {
  std::uint64_t state = 0;
  void reset(std::uint64_t seed) { state = seed; }
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

inline Stream& current_slot(Stream* set = nullptr) {
  static Stream fallback;
  static Stream* cur = &fallback;
  if (set) cur = set;
  return *cur;
}
inline void use(Stream& s) { current_slot(&s); }

inline const char* impl_name() { return "butter-fuzz-deterministic"; }
inline std::uint32_t impl_random() { return static_cast<std::uint32_t>(current_slot().next()); }
inline void impl_buf(void* buf, std::size_t n) {
  auto* p = static_cast<std::uint8_t*>(buf);
  while (n > 0) {
    std::uint64_t v = current_slot().next();
    const std::size_t k = n < 8 ? n : 8;
    std::memcpy(p, &v, k);
    p += k;
    n -= k;
  }
}

inline void install() {
  static randombytes_implementation impl = {impl_name, impl_random, nullptr, nullptr, impl_buf, nullptr};
  randombytes_set_implementation(&impl);
  if (sodium_init() < 0) std::abort();
}

// The fixed seeds of the two sides, shared by the target and the corpus generator.
inline constexpr std::uint64_t kInitiatorStream = 0x1111;
inline constexpr std::uint64_t kResponderStream = 0x2222;
inline constexpr std::uint8_t kInitiatorKeySeed = 0xA1;
inline constexpr std::uint8_t kResponderKeySeed = 0xB2;

}  // namespace butter::fuzz::det_random
