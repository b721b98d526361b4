// Paths of the test plugins (tests/plugins), built into BUTTER_TEST_PLUGIN_DIR.
#pragma once
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace butter::test {

inline std::string test_plugin(const std::string& name) {
  return std::string(BUTTER_TEST_PLUGIN_DIR) + "/" + name + ".so";
}

// A fresh, empty directory under the build tree, removed when the object dies.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path = std::filesystem::path(BUTTER_BUILD_DIR) / "test-tmp" / (tag + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace butter::test
