// The host's areas include each other in one direction only (issue 20: node/ and services/ used
// to include each other). Every host file shares one include root, so the compiler would accept
// any direction: this reads each file's `#include "<area>/..."` lines and checks them against the
// layering below. A new edge is a design decision: add it here with the reason.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Each area and the areas it may include (its own is always allowed). Lower layers first.
const std::map<std::string, std::set<std::string>>& allowed() {
  static const std::map<std::string, std::set<std::string>> m{
      {"core", {}},
      {"transport", {"core"}},
      {"http", {"core"}},
      {"manifest", {"transport"}},  // [node]'s limits are the transport's (TransportLimits)
      {"loader", {"core", "manifest"}},
      {"instance", {"core", "http", "loader", "manifest", "transport"}},
      {"services", {"core", "http", "instance", "transport"}},
      {"node", {"core", "instance", "loader", "manifest", "services", "transport"}},
      {"cli", {"http", "loader", "manifest", "node"}},
  };
  return m;
}

struct Edge {
  std::string file;
  int line;
  std::string to;
};

std::vector<Edge> includes_of(const fs::path& file, const std::string& area) {
  static const std::regex include_re(R"re(^\s*#\s*include\s*"([a-z_]+)/)re");
  std::vector<Edge> out;
  std::ifstream in(file);
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    std::smatch m;
    if (std::regex_search(text, m, include_re) && m[1] != area) out.push_back({file.string(), line, m[1]});
  }
  return out;
}

}  // namespace

TEST_CASE("host areas include each other only downward: node uses services and never the reverse") {
  const fs::path host = fs::path(BUTTER_SOURCE_DIR) / "host";
  REQUIRE(fs::is_directory(host));
  std::set<std::string> seen_areas;
  std::size_t files = 0, edges = 0;
  for (const auto& dir : fs::directory_iterator(host)) {
    if (!dir.is_directory()) continue;
    const std::string area = dir.path().filename().string();
    seen_areas.insert(area);
    INFO("host/" << area << " is not in this test's layering: add it with what it may include");
    REQUIRE(allowed().count(area) == 1);
    for (const auto& f : fs::recursive_directory_iterator(dir.path())) {
      const auto ext = f.path().extension();
      if (!f.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".h")) continue;
      ++files;
      for (const Edge& e : includes_of(f.path(), area)) {
        ++edges;
        INFO(e.file << ":" << e.line << " includes " << e.to << "/ from host/" << area);
        CHECK(allowed().at(area).count(e.to) == 1);
      }
    }
  }
  CHECK(files > 100);  // the host was found and read
  CHECK(edges > 50);
  CHECK(seen_areas.count("node") == 1);
  CHECK(seen_areas.count("services") == 1);
}

TEST_CASE("the layering table has no cycle") {
  // Each area may include only areas listed before it in a topological order: check by removing
  // areas whose allowed set is already removed, until none is left.
  std::map<std::string, std::set<std::string>> left = allowed();
  for (bool progress = true; progress && !left.empty();) {
    progress = false;
    for (auto it = left.begin(); it != left.end();) {
      bool ready = true;
      for (const auto& dep : it->second) ready = ready && left.count(dep) == 0;
      if (ready) {
        it = left.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  CHECK(left.empty());
}
