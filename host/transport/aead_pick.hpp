// Which ChaCha20-Poly1305 implementation takes large messages (aead.hpp), from timings taken in
// this process: the rule alone, apart from the clock, so that it can be tested with any figures.
//
// Timings on a shared machine are noisy: a round preempted half-way, a busy sibling hyperthread,
// a clock ramping up. Taken one implementation after another, such noise made processes on the
// same machine choose differently (OpenSSL in about 1 process in 6 under load, where libgcrypt
// seals 16 KiB 1.4x as fast). So each round times every implementation back to back on the same
// work, the speed-up is a ratio within a round (what slowed the round slowed its libsodium too),
// and the median over the rounds is taken (a round that was preempted is an outlier, not the min).
#pragma once
#include "transport/aead.hpp"

#include <span>

namespace butter::host::noise {

// Seconds each implementation took for the same messages in one round; <= 0: not timed (failed
// the known-answer check, or not offered).
struct AeadRound {
  double sodium = 0;
  double openssl = 0;
  double gcrypt = 0;
};

struct AeadPick {
  AeadImpl impl = AeadImpl::kSodium;
  double speedup = 0;  // the chosen one's median speed-up over libsodium (0: libsodium)
  double openssl = 0;  // each vectorised one's median speed-up (0: not timed)
  double gcrypt = 0;
};

// A vectorised implementation must be at least kMinSpeedup as fast as libsodium to be worth a
// second library's code in the hot path. Of those that are, the fastest wins, except that
// libgcrypt is kept within kCloseEnough of the fastest: it makes one pass over the message where
// OpenSSL 3.0 makes two, and a fixed preference keeps near ties from being settled by noise.
inline constexpr double kMinSpeedup = 1.1;
inline constexpr double kCloseEnough = 0.9;
AeadPick pick_large_aead(std::span<const AeadRound> rounds);

}  // namespace butter::host::noise
