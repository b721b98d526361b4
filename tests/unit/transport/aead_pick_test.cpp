// The rule that picks the implementation for large messages from interleaved timings
// (transport/aead_pick.hpp), with figures made up to be as noisy as a shared machine's.
#include "transport/aead_pick.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace butter::host::noise;

namespace {

// `n` rounds where libsodium takes 1 s, OpenSSL 1 / openssl_x and libgcrypt 1 / gcrypt_x (0: not timed).
std::vector<AeadRound> steady_rounds(int n, double openssl_x, double gcrypt_x) {
  std::vector<AeadRound> rounds;
  for (int i = 0; i < n; ++i)
    rounds.push_back(AeadRound{1.0, openssl_x > 0 ? 1.0 / openssl_x : 0, gcrypt_x > 0 ? 1.0 / gcrypt_x : 0});
  return rounds;
}

}  // namespace

TEST_CASE("aead pick: the fastest vectorised implementation takes large messages, by its median speed-up", "[aead]") {
  const AeadPick p = pick_large_aead(steady_rounds(15, 1.6, 2.3));  // this machine's figures
  CHECK(p.impl == AeadImpl::kGcrypt);
  CHECK(p.speedup == Approx(2.3));
  CHECK(p.openssl == Approx(1.6));
  CHECK(p.gcrypt == Approx(2.3));
  const AeadPick q = pick_large_aead(steady_rounds(15, 2.3, 1.6));  // the other way round
  CHECK(q.impl == AeadImpl::kOpenSsl);
  CHECK(q.speedup == Approx(2.3));
}

TEST_CASE("aead pick: rounds slowed by the machine do not change the choice", "[aead]") {
  auto rounds = steady_rounds(15, 1.6, 2.3);
  // Seven rounds where libgcrypt was preempted (4x its time) and three where libsodium was: a
  // minimum or a mean over the rounds could go either way, the median of the ratios does not.
  for (int i = 0; i < 7; ++i) rounds[static_cast<std::size_t>(i)].gcrypt *= 4;
  for (int i = 7; i < 10; ++i) rounds[static_cast<std::size_t>(i)].sodium *= 4;
  const AeadPick p = pick_large_aead(rounds);
  CHECK(p.impl == AeadImpl::kGcrypt);
  CHECK(p.gcrypt == Approx(2.3));
  // A whole round slowed alike (a busy sibling core, a clock ramping up) changes no ratio.
  auto alike = steady_rounds(15, 1.6, 2.3);
  for (auto& r : alike) r = AeadRound{r.sodium * 3, r.openssl * 3, r.gcrypt * 3};
  CHECK(pick_large_aead(alike).gcrypt == Approx(2.3));
}

TEST_CASE("aead pick: libgcrypt is kept within 10 percent of the fastest and not beyond", "[aead]") {
  CHECK(pick_large_aead(steady_rounds(15, 2.0, 1.85)).impl == AeadImpl::kGcrypt);   // 0.925 of OpenSSL
  CHECK(pick_large_aead(steady_rounds(15, 2.0, 1.75)).impl == AeadImpl::kOpenSsl);  // 0.875 of OpenSSL
  // Kept near the fastest only when it is worth taking at all.
  CHECK(pick_large_aead(steady_rounds(15, 1.2, 1.09)).impl == AeadImpl::kOpenSsl);
}

TEST_CASE("aead pick: libsodium keeps every message when nothing is 1.1x as fast or nothing was timed", "[aead]") {
  const AeadPick slow = pick_large_aead(steady_rounds(15, 1.05, 1.08));
  CHECK(slow.impl == AeadImpl::kSodium);
  CHECK(slow.speedup == 0);
  CHECK(slow.gcrypt == Approx(1.08));  // still reported
  CHECK(pick_large_aead({}).impl == AeadImpl::kSodium);
  // An implementation that failed its check is not timed, and the other one can still win.
  const AeadPick only_openssl = pick_large_aead(steady_rounds(15, 1.7, 0));
  CHECK(only_openssl.impl == AeadImpl::kOpenSsl);
  CHECK(only_openssl.gcrypt == 0);
  // Rounds whose libsodium timing failed are left out rather than dividing by zero.
  auto rounds = steady_rounds(4, 1.5, 2.0);
  rounds[1].sodium = 0;
  rounds[2].sodium = 0;
  const AeadPick p = pick_large_aead(rounds);
  CHECK(p.impl == AeadImpl::kGcrypt);
  CHECK(p.gcrypt == Approx(2.0));
}

TEST_CASE("aead pick: an even number of rounds takes the mean of the middle two ratios", "[aead]") {
  std::vector<AeadRound> rounds = {{1.0, 0, 1.0 / 2.0}, {1.0, 0, 1.0 / 3.0}, {1.0, 0, 1.0 / 1.0}, {1.0, 0, 1.0 / 4.0}};
  CHECK(pick_large_aead(rounds).gcrypt == Approx(2.5));
}
