// Shared by the corpus generators (fuzz/make_corpus.cpp and fuzz/plugins/*_seeds.cpp): writing a
// seed file, and Tail, which lays out the integers a target reads from the back of its input
// (fuzz_support.hpp's Input) so that a seed replays exactly as intended.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace butter::fuzz::seeds {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

inline fs::path g_root;
inline int g_files = 0;

// Writes <root>/<target>/<name>. Existing files of other names (inputs found by fuzzing, kept as
// regressions) are left alone.
inline void write(const std::string& target, const std::string& name, const Bytes& data) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ++g_files;
}
inline void write(const std::string& target, const std::string& name, const std::string& text) {
  write(target, name, Bytes(text.begin(), text.end()));
}

inline Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
inline Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The integers a target consumes from the back of its input, in the order it consumes them.
struct Tail {
  Bytes consumed;
  // As Input::range(min, max) will read it back.
  void add(std::uint64_t value, std::uint64_t min, std::uint64_t max) {
    const std::uint64_t range = max - min, off = value - min;
    int n = 0;
    while (n < 8 && (range >> (8 * n)) > 0) ++n;
    for (int i = n - 1; i >= 0; --i) consumed.push_back(static_cast<std::uint8_t>(off >> (8 * i)));
  }
  // Pieces of at most `max_piece` bytes covering `stream`, sized by cycling through `sizes`.
  void pieces(const Bytes& stream, std::size_t max_piece, std::initializer_list<std::size_t> sizes) {
    std::size_t left = stream.size(), i = 0;
    while (left > 0) {
      std::size_t n = std::min({*(sizes.begin() + (i++ % sizes.size())), max_piece, left});
      add(n, 1, max_piece);
      left -= n;
    }
  }
  // The input: the front bytes, then the tail reversed (the first consumed is the last byte).
  Bytes input(const Bytes& front) const {
    Bytes out = front;
    out.insert(out.end(), consumed.rbegin(), consumed.rend());
    return out;
  }
};

// A generator's main: `<generator> DIR` writes DIR/<target>/<seed>.
inline int run(int argc, char** argv, void (*generate)()) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR   (writes DIR/<target>/<seed>)\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  generate();
  std::printf("%s: wrote %d seeds under %s\n", argv[0], g_files, argv[1]);
  return 0;
}

}  // namespace butter::fuzz::seeds
