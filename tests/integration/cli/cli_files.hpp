// What the file-command tests share: the butter binary, a scratch directory removed at the end,
// seeded bytes, whole-file read/write, and running `butter ...` with stdout to a file.
#pragma once
#include "support/process.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace butter::test {

inline const std::string kButter = BUTTER_BUILD_DIR "/bin/butter";

// A fresh directory under the system temp dir, removed with everything in it on destruction.
struct Dir {
  std::filesystem::path path;
  Dir() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("butter-files-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::create_directories(path);
  }
  ~Dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// n pseudo-random bytes, the same for the same seed (an LCG: cheap for tens of MiB).
inline std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  for (auto& c : s) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return s;
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `butter args...` with stdout to `out_file`; returns the exit code (-1 when still running
// after `deadline`); `err` gets stderr.
inline int run_butter(const Dir& d, const std::vector<std::string>& args, const std::string& out_file, std::string& err,
                      std::chrono::seconds deadline = std::chrono::seconds(120)) {
  std::string cmd = "'" + kButter + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " > '" + out_file + "'";
  Process p({"/bin/sh", "-c", cmd}, d / "stderr.log");
  const int code = p.wait_exit(deadline);
  err = p.log();
  return code;
}

}  // namespace butter::test
