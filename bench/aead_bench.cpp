// The transport's ChaCha20-Poly1305 (host/transport/aead.hpp): seal + open throughput per record
// size for libsodium (the baseline: what every record used before), OpenSSL 3 EVP, libgcrypt, and
// the path the transport takes ("chosen": the faster vectorised one from kLargeMessage bytes, as
// this process measured, libsodium below), in the same run, interleaved, best of several rounds.
#include "bench_stats.hpp"
#include "transport/aead.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <vector>

using namespace butter::bench;
using namespace butter::host::noise;

namespace {

// MB/s of seal + open of `size`-byte records, for about `budget_ms`.
double throughput(AeadPath path, std::size_t size, double budget_ms) {
  ChaChaPoly seal(path), open(path);
  std::uint8_t key[kAeadKeyLen] = {3}, nonce[kAeadNonceLen] = {};
  seal.set_key(key);
  open.set_key(key);
  std::vector<std::uint8_t> plain(size, 0x61), sealed(size + kAeadTagLen), back(size);
  const auto t0 = Clock::now();
  std::size_t n = 0;
  while (us_since(t0) < budget_ms * 1000 && n < 10'000'000) {
    for (int i = 0; i < 16; ++i, ++n) {
      nonce[0] = static_cast<std::uint8_t>(n);
      seal.seal(nonce, {}, plain, sealed.data());
      if (!open.open(nonce, {}, sealed, back.data())) return -1;
    }
  }
  return static_cast<double>(n * size) / (us_since(t0) / 1e6) / 1e6;
}

}  // namespace

int main() {
  std::printf("AEAD choice in this process: %s\n\n", aead_choice().why.c_str());
  std::printf("%8s  %14s  %14s  %14s  %14s  %10s\n", "record", "libsodium MB/s", "OpenSSL MB/s", "libgcrypt MB/s",
              "chosen MB/s", "chosen/sodium");
  for (const std::size_t size : {std::size_t{64}, std::size_t{256}, std::size_t{1024}, std::size_t{4096},
                                 std::size_t{16384}, std::size_t{65519}}) {
    constexpr AeadPath paths[] = {AeadPath::kSodium, AeadPath::kOpenSsl, AeadPath::kGcrypt, AeadPath::kChosen};
    double best[std::size(paths)] = {};
    for (int round = 0; round < 5; ++round)  // interleaved, so load from other work hits them all
      for (std::size_t p = 0; p < std::size(paths); ++p) best[p] = std::max(best[p], throughput(paths[p], size, 40));
    if (*std::min_element(std::begin(best), std::end(best)) <= 0) {
      std::printf("%8zu  a record did not open: broken build\n", size);
      return 1;
    }
    std::printf("%8zu  %14.0f  %14.0f  %14.0f  %14.0f  %9.2fx\n", size, best[0], best[1], best[2], best[3],
                best[3] / best[0]);
  }
  return 0;
}
