// Node::prepare (host/node/node.hpp): every problem of a manifest's plugins is a diagnostic
// naming the instance (and, for config, the key and its line); a node that failed to prepare
// does not start. Nothing here binds a socket.
#include "node/node.hpp"
#include "shadow_files.hpp"
#include "node/runtime.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

using namespace butter;
using namespace butter::test;

namespace {

namespace fs = std::filesystem;

// The outcome of preparing a node from manifest text (which must parse).
struct PrepareOutcome {
  bool ok = false;
  host::Diagnostics diags;
  std::map<std::string, std::string> files;
  host::Error start_error;
};

PrepareOutcome prepare_manifest(const std::string& text, bool also_start = false) {
  host::Runtime rt(1);
  host::PluginRegistry registry;
  host::Diagnostics parse_diags;
  auto m = host::parse_manifest(text, "<prepare test>", parse_diags);
  INFO(parse_diags.to_string());
  REQUIRE(m);
  host::Node node(rt.io(), *m, registry);
  PrepareOutcome out;
  out.ok = node.prepare(out.diags);
  out.files = node.plugin_files();
  if (also_start) {
    out.start_error = node.start();
    CHECK(node.running() == !out.start_error);
    node.stop();
  }
  return out;
}

// Whether one diagnostic contains every one of `parts`.
bool prepare_has(const host::Diagnostics& d, std::initializer_list<std::string> parts) {
  for (const auto& item : d.items) {
    bool all = true;
    for (const auto& p : parts) all = all && item.message.find(p) != std::string::npos;
    if (all) return true;
  }
  return false;
}

// Prepares a node with shadow loading from manifest text; returns whether it prepared.
bool prepare_shadowed(const std::string& text, host::Diagnostics& diags) {
  host::Runtime rt(1);
  host::PluginRegistry registry;
  auto m = host::parse_manifest(text, "<shadow prepare test>", diags);
  INFO(diags.to_string());
  REQUIRE(m);
  host::Node node(rt.io(), *m, registry);
  node.set_shadow_loading(true);
  return node.prepare(diags);
}

// A manifest [node] with no network needed (prepare never binds) and an empty plugin_path.
std::string prepare_node(const std::string& plugin_dir) {
  return "[node]\nname = \"prep\"\nplugin_path = [\"" + plugin_dir + "\"]\n";
}

}  // namespace

TEST_CASE("prepare reports a plugin id found nowhere on the search path, and the node refuses to start") {
  const std::string empty_dir = std::string(BUTTER_BUILD_DIR) + "/test-tmp/prepare-empty-" + std::to_string(::getpid());
  fs::create_directories(empty_dir);
  auto r = prepare_manifest(prepare_node(empty_dir) + plugin_table("ghost", "test.no-such-plugin"), true);
  fs::remove_all(empty_dir);
  INFO(r.diags.to_string());
  CHECK_FALSE(r.ok);
  REQUIRE(r.diags.items.size() == 1);
  CHECK(prepare_has(r.diags, {"plugin 'ghost'", "no plugin with id 'test.no-such-plugin'", empty_dir}));
  CHECK(r.diags.items[0].pos.line == 4);  // the [plugins.ghost] header
  CHECK(r.files.empty());
  REQUIRE(r.start_error);
  CHECK(r.start_error.code == BUTTER_E_INVALID);
}

TEST_CASE("prepare reports a plugin file that does not exist") {
  auto r = prepare_manifest(prepare_node(BUTTER_TEST_PLUGIN_DIR) + "[plugins.gone]\nfile = \"" BUTTER_TEST_PLUGIN_DIR
                                                                   "/tp-never-built.so\"\n");
  INFO(r.diags.to_string());
  CHECK_FALSE(r.ok);
  REQUIRE(r.diags.items.size() == 1);
  CHECK(prepare_has(r.diags, {"plugin 'gone'", "tp-never-built.so"}));
}

TEST_CASE("prepare refuses a file offering several plugins with advice the manifest accepts") {
  auto r = prepare_manifest(prepare_node(BUTTER_TEST_PLUGIN_DIR) + test_plugin_table("multi", "tp-multi.so"));
  INFO(r.diags.to_string());
  CHECK_FALSE(r.ok);
  REQUIRE(r.diags.items.size() == 1);
  CHECK(prepare_has(r.diags, {"plugin 'multi'", "offers several plugins (test.multi.a, test.multi.b)",
                              "plugin = \"<id>\" instead of file", "node.plugin_path"}));
  // The advice, followed: the id, with the file's directory on the plugin path (prepare_node's).
  auto fixed = prepare_manifest(prepare_node(BUTTER_TEST_PLUGIN_DIR) + plugin_table("multi", "test.multi.a"));
  INFO(fixed.diags.to_string());
  CHECK(fixed.ok);
  // Not `plugin` next to `file`: the manifest refuses both at once.
  host::Diagnostics d;
  CHECK_FALSE(host::parse_manifest(
      prepare_node(BUTTER_TEST_PLUGIN_DIR) + test_plugin_table("multi", "tp-multi.so") + "plugin = \"test.multi.a\"\n",
      "<t>", d));
}

TEST_CASE("prepare checks a plugin id given with a file against the ids the file offers") {
  // The manifest never gives both, but a Manifest built in code may.
  host::Runtime rt(1);
  host::PluginRegistry registry;
  host::Manifest m;
  m.node.name = "prep";
  host::PluginSpec spec;
  spec.instance = "multi";
  spec.file = std::string(BUTTER_TEST_PLUGIN_DIR) + "/tp-multi.so";
  spec.plugin_id = "test.multi.zzz";
  m.plugins.push_back(spec);
  {
    host::Node node(rt.io(), m, registry);
    host::Diagnostics d;
    CHECK_FALSE(node.prepare(d));
    INFO(d.to_string());
    CHECK(prepare_has(d, {"plugin 'multi'", "does not offer test.multi.zzz"}));
  }
  m.plugins[0].plugin_id = "test.multi.a";
  host::Node node(rt.io(), m, registry);
  host::Diagnostics d;
  CHECK(node.prepare(d));
  INFO(d.to_string());
  CHECK(d.empty());
  CHECK(node.plugin_files().at("multi") == spec.file);
}

TEST_CASE("prepare reports each bad config value with its key and line") {
  const std::string text = prepare_node(BUTTER_TEST_PLUGIN_DIR) +  // lines 1-3
                           test_plugin_table("cfg", "tp-config-ranges.so",
                                             "ttl_ms = 0\n"           // line 7: below the minimum 1
                                             "port = \"eighty\"\n"    // line 8: not an integer
                                             "colour = \"blue\"\n");  // line 9: no such key
  auto r = prepare_manifest(text);
  INFO(r.diags.to_string());
  CHECK_FALSE(r.ok);
  REQUIRE(r.diags.items.size() == 3);
  CHECK(prepare_has(r.diags, {"plugins.cfg.config.ttl_ms = 0", "minimum"}));
  CHECK(prepare_has(r.diags, {"plugins.cfg.config.port", "expected"}));
  CHECK(prepare_has(r.diags, {"unknown key \"colour\"", "[plugins.cfg.config]"}));
  CHECK(r.diags.items[0].pos.line == 7);
  CHECK(r.diags.items[1].pos.line == 8);
  CHECK(r.diags.items[2].pos.line == 9);
}

TEST_CASE("prepare reports a required config key left out") {
  auto r = prepare_manifest(prepare_node(BUTTER_TEST_PLUGIN_DIR) + test_plugin_table("cfg", "tp-config-ranges.so"));
  INFO(r.diags.to_string());
  CHECK_FALSE(r.ok);
  CHECK(prepare_has(r.diags, {"missing required key \"port\"", "[plugins.cfg.config]"}));
}

TEST_CASE("prepare reports an interface an instance requires that no instance provides") {
  const std::string b = plugin_table("b", "test.multi.b", "verbose = true");
  const std::string a = plugin_table("a", "test.multi.a");
  auto alone = prepare_manifest(prepare_node(BUTTER_TEST_PLUGIN_DIR) + b);
  CHECK_FALSE(alone.ok);
  CHECK(prepare_has(alone.diags, {"plugin 'b' requires test.multi.a/1", "no plugin in this manifest provides"}));
  auto with_provider = prepare_manifest(prepare_node(BUTTER_TEST_PLUGIN_DIR) + b + a);
  INFO(with_provider.diags.to_string());
  CHECK(with_provider.ok);
}

TEST_CASE("prepare skips a disabled plugin, whatever its problems") {
  auto r = prepare_manifest(prepare_node(BUTTER_TEST_PLUGIN_DIR) +
                            "[plugins.off]\nplugin = \"test.no-such-plugin\"\nenabled = false\n" +
                            test_plugin_table("mini", "tp-minimal.so", "greeting = \"hi\""));
  INFO(r.diags.to_string());
  CHECK(r.ok);
  CHECK(r.files.count("off") == 0);
  CHECK(r.files.count("mini") == 1);
}

TEST_CASE("plugin_files maps each prepared instance to the file it comes from") {
  // By file (as given) and by id (the library found on the search path).
  auto r = prepare_manifest(prepare_node(BUTTER_TEST_PLUGIN_DIR) +
                            test_plugin_table("byfile", "tp-minimal.so", "greeting = \"hi\"") +
                            "[plugins.byid]\nplugin = \"test.multi.a\"\n");
  INFO(r.diags.to_string());
  REQUIRE(r.ok);
  REQUIRE(r.files.size() == 2);
  CHECK(r.files["byfile"] == std::string(BUTTER_TEST_PLUGIN_DIR) + "/tp-minimal.so");
  CHECK(fs::path(r.files["byid"]).filename() == "tp-multi.so");
}

TEST_CASE("prepare with shadow loading leaves no shadow copy behind when it fails") {
  const std::vector<std::string> stems{"tp-minimal", "tp-multi", "tp-not-elf", "tp-config-ranges"};
  std::map<std::string, std::set<std::string>> before;
  for (const auto& s : stems) before[s] = shadow_files_of(s);
  host::Diagnostics d;
  // One instance fine, one file offering several plugins, one not a library at all, one whose
  // config is refused: each of them made a shadow copy, and the prepare fails.
  CHECK_FALSE(prepare_shadowed(
      prepare_node(BUTTER_TEST_PLUGIN_DIR) + test_plugin_table("fine", "tp-minimal.so", "greeting = \"hi\"") +
          test_plugin_table("several", "tp-multi.so") + test_plugin_table("junk", "tp-not-elf.so") +
          test_plugin_table("cfg", "tp-config-ranges.so", "ttl_ms = 0\nport = 80"),
      d));
  INFO(d.to_string());
  CHECK(prepare_has(d, {"plugin 'several'", "offers several plugins"}));
  CHECK(prepare_has(d, {"plugin 'junk'"}));
  CHECK(prepare_has(d, {"plugins.cfg.config.ttl_ms = 0"}));
  for (const auto& s : stems) {
    INFO(s);
    CHECK(shadow_files_of(s) == before[s]);
  }
  std::error_code ec;
  fs::remove(host::shadow_directory(), ec);  // only when empty
}

TEST_CASE("prepare with shadow loading keeps the shadow copies of a prepare that succeeds") {
  const auto before = shadow_files_of("tp-minimal");
  host::Diagnostics d;
  CHECK(prepare_shadowed(
      prepare_node(BUTTER_TEST_PLUGIN_DIR) + test_plugin_table("fine", "tp-minimal.so", "greeting = \"hi\""), d));
  INFO(d.to_string());
  auto after = shadow_files_of("tp-minimal");
  std::error_code ec;
  for (const auto& f : before) after.erase(f);
  CHECK(after.size() == 1);
  for (const auto& f : after) fs::remove(f, ec);
  fs::remove(host::shadow_directory(), ec);  // only when empty
}
