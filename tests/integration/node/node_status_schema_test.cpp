// docs/status.md is the schema of GET /status. This test holds the page and the code together: every
// field a node serves is documented with the type it is served as, and every documented field
// (but those marked optional) is served, so that neither can change without the other.
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>

using namespace butter;
using namespace butter::test;

namespace {

struct DocField {
  std::string type;  // string, integer, boolean, strings
  bool optional = false;
};

// The rows "| `path` | type | meaning |" of docs/status.md.
std::map<std::string, DocField> documented_fields() {
  std::ifstream in(std::string(BUTTER_SOURCE_DIR) + "/docs/status.md");
  REQUIRE(in);
  std::map<std::string, DocField> out;
  const std::regex row(R"(^\| `([A-Za-z_\[\].]+)` \| ([a-z]+)(, optional)? \|)");
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, row)) out[m[1]] = DocField{m[2], m[3].matched};
  }
  return out;
}

std::string type_of(const nlohmann::json& v) {
  if (v.is_string()) return "string";
  if (v.is_number_integer()) return "integer";
  if (v.is_boolean()) return "boolean";
  if (v.is_array() && std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string(); })) return "strings";
  return v.type_name();
}

// Every leaf of `v` as path -> type; arrays of objects are walked as "path[]".
void leaves(const nlohmann::json& v, const std::string& path, std::map<std::string, std::set<std::string>>& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.items()) leaves(child, path.empty() ? k : path + "." + k, out);
  } else if (v.is_array() && !v.empty() && v.front().is_object()) {
    for (const auto& e : v) leaves(e, path + "[]", out);
  } else {
    out[path].insert(type_of(v));
  }
}

}  // namespace

TEST_CASE("every field of GET /status is documented in docs/status.md, with its type") {
  const auto doc = documented_fields();
  REQUIRE(doc.size() > 50);  // the page parsed: a table row format change must not pass silently

  // Two connected nodes (so that peers[] has an element), one with a plugin that failed (so that
  // the optional failure field is served too).
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry,
             loopback_manifest(
                 "a", test_plugin_table("bad", "tp-failing-start.so") + plugin_table("echo", "butter.example.echo")));
  TestNode b(rt, registry, loopback_manifest("b", plugin_table("echo", "butter.example.echo")));
  REQUIRE(request_from(a, b.endpoint(), "/butter/echo/1", "hi").status == BUTTER_OK);

  std::map<std::string, std::set<std::string>> served;
  leaves(a->status(), "", served);
  leaves(b->status(), "", served);
  for (const auto& [path, types] : served) {
    INFO("served: " << path);
    const auto it = doc.find(path);
    CHECK(it != doc.end());
    if (it != doc.end()) {
      for (const auto& t : types) CHECK(t == it->second.type);
    }
  }
  for (const auto& [path, field] : doc) {
    if (field.optional) continue;
    INFO("documented: " << path);
    CHECK(served.count(path) == 1);
  }
}
