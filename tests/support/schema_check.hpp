// A manifest checked against a built plugin's config schema, as the host checks it when a node is
// prepared (`butter check`, `butter run`): the plugin file is loaded by the host's loader, which
// reads the schema from its descriptor, and the manifest's config table is validated against it.
// For the plugins' schema tests (a value out of range is refused at its position, key named),
// without starting a node.
#pragma once
#include "loader/plugin_library.hpp"
#include "manifest/manifest.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

namespace butter::test {

// The manifest `text` (read as "m.toml") holds one plugin instance, of the plugin in `plugin_file`.
// Returns whether it passes, and the diagnostics ("m.toml:4:14: error: ...").
inline std::pair<bool, std::string> check_against_schema(const std::string& text, const std::string& plugin_file) {
  host::Diagnostics diags;
  auto m = host::parse_manifest(text, "m.toml", diags);
  REQUIRE(m);
  REQUIRE(m->plugins.size() == 1);
  host::Error err;
  auto lib = host::PluginLibrary::load(plugin_file, err);
  INFO(err.message);
  REQUIRE(lib);
  const host::PluginInfo* info = lib->find(m->plugins[0].plugin_id);
  REQUIRE(info);
  host::validate_plugin_config(m->plugins[0], info->config_schema, diags);
  return {diags.empty(), diags.to_string()};
}

// A plugin's config schema under test: one instance `instance` of `plugin_id` from `plugin_file`,
// whose config table gets one key line (line 4 of "m.toml").
struct SchemaUnderTest {
  std::string instance, plugin_id, plugin_file;

  std::pair<bool, std::string> check(const std::string& key_line) const {
    return check_against_schema("[plugins." + instance + "]\nplugin = \"" + plugin_id + "\"\n[plugins." + instance +
                                    ".config]\n" + key_line + "\n",
                                plugin_file);
  }
  // Each (key line, reason): refused, the diagnostics naming the reason ("m.toml:4:14: error: ...").
  void require_refused(const std::vector<std::pair<std::string, std::string>>& cases) const {
    for (const auto& [line, reason] : cases) {
      INFO(line);
      const auto [ok, diags] = check(line);
      CHECK_FALSE(ok);
      CHECK_THAT(diags, Catch::Contains(reason));
    }
  }
  // Each key line passes without a diagnostic.
  void require_accepted(const std::vector<std::string>& lines) const {
    for (const auto& line : lines) {
      INFO(line);
      const auto [ok, diags] = check(line);
      CHECK(ok);
      CHECK(diags.empty());
    }
  }
};

}  // namespace butter::test
