// pcg-storage's config schema (issue 20), as the host reads it from the built plugin: each key's
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
  return check_against_schema("[plugins.storage]\nplugin = \"butter.storage.pcg\"\n[plugins.storage.config]\n" + key_line + "\n",
                              std::string(BUTTER_PLUGIN_DIR) + "/pcg-storage.so");
}

}  // namespace

TEST_CASE("config values outside the schema's ranges are refused with the manifest, at their position, key named") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"replicas = 0", "m.toml:4:12: error: plugins.storage.config.replicas = 0 is below the minimum 1"},
      {"replicas = 33", "m.toml:4:12: error: plugins.storage.config.replicas = 33 is above the maximum 32"},
      {"block_size = 512", "m.toml:4:14: error: plugins.storage.config.block_size = 512 is below the minimum 1024 (bytes)"},
      {"jitter = 0.95", "m.toml:4:10: error: plugins.storage.config.jitter = 0.95 is above the maximum 0.9"},
      {"heartbeat_ms = 0", "m.toml:4:16: error: plugins.storage.config.heartbeat_ms = 0 is below the minimum 1 (ms)"},
      {"stream_per_member = 65", "m.toml:4:21: error: plugins.storage.config.stream_per_member = 65 is above the maximum 64"},
      {"peer_quota_bytes = -1", "m.toml:4:20: error: plugins.storage.config.peer_quota_bytes = -1 is below the minimum 0 (bytes)"},
      {"memory_share = 1.5", "m.toml:4:16: error: plugins.storage.config.memory_share = 1.5 is above the maximum 1"},
      {"audit_per_tick = 100001", "m.toml:4:18: error: plugins.storage.config.audit_per_tick = 100001 is above the maximum 100000"},
  };
  for (const auto& [line, reason] : bad) {
    INFO(line);
    const auto [ok, diags] = check(line);
    CHECK_FALSE(ok);
    CHECK_THAT(diags, Catch::Contains(reason));
  }
}

TEST_CASE("config values at the schema's bounds pass") {
  for (const char* line : {"replicas = 32", "block_size = 1024", "jitter = 0.9", "stream_per_member = 64", "peer_quota_bytes = 0",
                           "audit_per_tick = 100000", "persist = false"}) {
    INFO(line);
    const auto [ok, diags] = check(line);
    CHECK(ok);
    CHECK(diags.empty());
  }
}
