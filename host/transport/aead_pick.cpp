#include "transport/aead_pick.hpp"

#include <algorithm>
#include <vector>

namespace butter::host::noise {

namespace {

// Median over the rounds where both were timed of libsodium's time / this one's; 0 when none.
double median_speedup(std::span<const AeadRound> rounds, double AeadRound::*impl) {
  std::vector<double> ratios;
  for (const AeadRound& r : rounds)
    if (r.sodium > 0 && r.*impl > 0) ratios.push_back(r.sodium / (r.*impl));
  if (ratios.empty()) return 0;
  const auto mid = ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2);
  std::nth_element(ratios.begin(), mid, ratios.end());
  if (ratios.size() % 2 == 1) return *mid;
  const double upper = *mid;
  return (*std::max_element(ratios.begin(), mid) + upper) / 2;
}

}  // namespace

AeadPick pick_large_aead(std::span<const AeadRound> rounds) {
  AeadPick p;
  p.openssl = median_speedup(rounds, &AeadRound::openssl);
  p.gcrypt = median_speedup(rounds, &AeadRound::gcrypt);
  const double best = std::max(p.openssl, p.gcrypt);
  if (best < kMinSpeedup) return p;  // also: nothing timed
  if (p.gcrypt >= kMinSpeedup && p.gcrypt >= best * kCloseEnough) {
    p.impl = AeadImpl::kGcrypt;
    p.speedup = p.gcrypt;
  } else {
    p.impl = AeadImpl::kOpenSsl;
    p.speedup = p.openssl;
  }
  return p;
}

}  // namespace butter::host::noise
