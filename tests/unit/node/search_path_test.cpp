// Node::search_path (host/node/node.hpp): BUTTER_PLUGIN_PATH, the manifest's plugin_path, then
// the directories next to the executable.
#include "node/node.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

using namespace butter;

namespace {

namespace fs = std::filesystem;

// Sets (or unsets, for nullopt) BUTTER_PLUGIN_PATH for the scope of one test, then restores it.
class SearchPathEnv {
 public:
  explicit SearchPathEnv(const std::optional<std::string>& value) {
    if (const char* old = std::getenv("BUTTER_PLUGIN_PATH")) old_ = old;
    if (value)
      ::setenv("BUTTER_PLUGIN_PATH", value->c_str(), 1);
    else
      ::unsetenv("BUTTER_PLUGIN_PATH");
  }
  ~SearchPathEnv() {
    if (old_)
      ::setenv("BUTTER_PLUGIN_PATH", old_->c_str(), 1);
    else
      ::unsetenv("BUTTER_PLUGIN_PATH");
  }

 private:
  std::optional<std::string> old_;
};

fs::path search_path_exe_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

host::Manifest search_path_manifest(const std::string& toml, const std::string& directory) {
  host::Diagnostics diags;
  auto m = host::parse_manifest(toml, "/etc/butter/node.toml", directory, diags);
  INFO(diags.to_string());
  REQUIRE(m);
  return *m;
}

}  // namespace

TEST_CASE("the search path is the manifest's plugin_path in order, then the default directories") {
  SearchPathEnv env(std::nullopt);
  auto m = search_path_manifest(
      "[node]\nname = \"sp\"\nplugin_path = [\"plugins/b\", \"/opt/butter/a/../plugins\", \"./c/\"]\n", "/srv/node1");
  const auto exe = search_path_exe_dir();
  const std::vector<std::string> want{
      "/srv/node1/plugins/b",
      "/opt/butter/plugins",
      "/srv/node1/c/",
      (exe / ".." / "plugins").lexically_normal().string(),
      (exe / ".." / "lib" / "butter" / "plugins").lexically_normal().string(),
  };
  CHECK(host::Node::search_path(m) == want);
}

TEST_CASE("with no plugin_path the search path is the default directories next to the executable") {
  SearchPathEnv env(std::nullopt);
  auto m = search_path_manifest("[node]\nname = \"sp\"\n", "/srv/node1");
  const auto exe = search_path_exe_dir();
  const std::vector<std::string> want{(exe.parent_path() / "plugins").string(),
                                      (exe.parent_path() / "lib" / "butter" / "plugins").string()};
  CHECK(host::Node::search_path(m) == want);
}

TEST_CASE("relative plugin_path entries of a manifest without a directory resolve against the executable") {
  SearchPathEnv env(std::nullopt);
  host::Manifest m;  // as the embedded default manifest: no directory
  m.node.plugin_path = {"my-plugins"};
  const auto path = host::Node::search_path(m);
  REQUIRE(path.size() == 3);
  CHECK(path[0] == (search_path_exe_dir() / "my-plugins").string());
}

TEST_CASE("BUTTER_PLUGIN_PATH directories come before the manifest's, empty entries skipped") {
  SearchPathEnv env(std::string("/env/one::/env/two:"));
  auto m = search_path_manifest("[node]\nname = \"sp\"\nplugin_path = [\"/manifest/dir\"]\n", "/srv/node1");
  const auto path = host::Node::search_path(m);
  REQUIRE(path.size() == 5);
  CHECK(path[0] == "/env/one");
  CHECK(path[1] == "/env/two");
  CHECK(path[2] == "/manifest/dir");
}
