// Shared by every fuzz target: the input reader and the one way a target reports a broken
// invariant (an abort, which libFuzzer records as a crash with the input that caused it).
//
// Input convention (the same as LLVM's FuzzedDataProvider, without needing clang's header, so that
// the replay tests build with any compiler): byte strings are taken from the FRONT of the input,
// integers from the BACK. A stream fed in pieces is therefore "the bytes as they travel" followed
// by the piece sizes, last piece first; fuzz/make_corpus.cpp writes its seeds that way.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <vector>

// A broken invariant: print what and where, then abort so that libFuzzer keeps the input.
#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

namespace butter::fuzz {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  std::size_t remaining() const { return n_; }

  // An integer in [min, max] from as few bytes at the back as the range needs (big-endian, the
  // last input byte first); min when the input is used up.
  std::uint64_t range(std::uint64_t min, std::uint64_t max) {
    const std::uint64_t span = max - min;
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64 && (span >> shift) > 0 && n_ > 0; shift += 8) v = (v << 8) | p_[--n_];
    if (span != std::numeric_limits<std::uint64_t>::max()) v %= span + 1;
    return min + v;
  }
  std::uint8_t byte() { return static_cast<std::uint8_t>(range(0, 255)); }
  bool flag() { return byte() & 1; }
  // Up to n bytes from the front.
  std::vector<std::uint8_t> bytes(std::size_t n) {
    if (n > n_) n = n_;
    std::vector<std::uint8_t> out(p_, p_ + n);
    p_ += n;
    n_ -= n;
    return out;
  }
  std::vector<std::uint8_t> rest() { return bytes(n_); }

  // The next piece of a stream, 1..max_piece bytes (the size from the back, the bytes from the
  // front); empty when the input is used up.
  std::vector<std::uint8_t> piece(std::size_t max_piece) {
    if (n_ == 0) return {};
    return bytes(static_cast<std::size_t>(range(1, max_piece)));
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

inline std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace butter::fuzz
