// The shadow copies (host/node/hot_swap.hpp) of files named `stem`.so now in the shadow directory:
// what the node tests count to see that a prepare or a swap left none behind, or kept its own.
#pragma once
#include "node/hot_swap.hpp"

#include <filesystem>
#include <set>
#include <string>

namespace butter::test {

inline std::set<std::string> shadow_files_of(const std::string& stem) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(host::shadow_directory(), ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(stem + ".", 0) == 0) out.insert(e.path().string());
  }
  return out;
}

}  // namespace butter::test
