// ir-dbfs's config schema (issue 20), as the host reads it from the built plugin: each key's
// default, range and unit are declared once (plugin_entry.cpp), so a manifest value out of range
// is refused at its file:line:column with the key named, before the plugin runs; values at the
// bounds pass.
#include "support/schema_check.hpp"

#include <catch2/catch.hpp>

#include <vector>

using butter::test::check_against_schema;

namespace {

// The manifest with one key line in the plugin's config table (line 4).
std::pair<bool, std::string> check(const std::string& key_line) {
  return check_against_schema("[plugins.search]\nplugin = \"butter.ir.dbfs\"\n[plugins.search.config]\n" + key_line + "\n",
                              std::string(BUTTER_PLUGIN_DIR) + "/ir-dbfs.so");
}

}  // namespace

TEST_CASE("config values outside the schema's ranges are refused with the manifest, at their position, key named") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"neighbours = 0", "m.toml:4:14: error: plugins.search.config.neighbours = 0 is below the minimum 1"},
      {"max_ttl = 33", "m.toml:4:11: error: plugins.search.config.max_ttl = 33 is above the maximum 32 (hops)"},
      {"max_terms = 17", "m.toml:4:13: error: plugins.search.config.max_terms = 17 is above the maximum 16"},
      {"hop_ms = 20000.0", "m.toml:4:10: error: plugins.search.config.hop_ms = 20000 is above the maximum 10000 (ms)"},
      {"burst = 0.5", "m.toml:4:9: error: plugins.search.config.burst = 0.5 is below the minimum 1 (queries)"},
      {"max_inbound_per_address = -1", "m.toml:4:27: error: plugins.search.config.max_inbound_per_address = -1 is below the minimum 0"},
      {"verify_timeout_ms = 600001", "m.toml:4:21: error: plugins.search.config.verify_timeout_ms = 600001 is above the maximum 600000 (ms)"},
      {"method = \"directed-directed\"", "m.toml:4:10: error: plugins.search.config.method is 17 bytes long, more than the maximum 16 bytes"},
  };
  for (const auto& [line, reason] : bad) {
    INFO(line);
    const auto [ok, diags] = check(line);
    CHECK_FALSE(ok);
    CHECK_THAT(diags, Catch::Contains(reason));
  }
}

TEST_CASE("config values at the schema's bounds pass") {
  for (const char* line : {"neighbours = 64", "max_ttl = 1", "max_terms = 16", "hop_ms = 10000.0", "max_inbound_per_address = 0",
                           "verify_timeout_ms = 600000", "method = \"flood\"", "verify = false"}) {
    INFO(line);
    const auto [ok, diags] = check(line);
    CHECK(ok);
    CHECK(diags.empty());
  }
}
