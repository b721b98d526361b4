// pcg-storage's config schema (issue 20), as the host reads it from the built plugin: each key's
// default, range and unit are declared once (descriptor.cpp), so a manifest value out of range
// is refused at its file:line:column with the key named, before the plugin runs; values at the
// bounds pass.
#include "support/schema_check.hpp"

#include <catch2/catch.hpp>

#include <vector>

namespace {

const butter::test::SchemaUnderTest schema{"storage", "butter.storage.pcg",
                                           std::string(BUTTER_PLUGIN_DIR) + "/pcg-storage.so"};

}  // namespace

TEST_CASE("config values outside the schema's ranges are refused with the manifest, at their position, key named") {
  schema.require_refused({
      {"replicas = 0", "m.toml:4:12: error: plugins.storage.config.replicas = 0 is below the minimum 1"},
      {"replicas = 33", "m.toml:4:12: error: plugins.storage.config.replicas = 33 is above the maximum 32"},
      {"block_size = 512",
       "m.toml:4:14: error: plugins.storage.config.block_size = 512 is below the minimum 1024 (bytes)"},
      {"jitter = 0.95", "m.toml:4:10: error: plugins.storage.config.jitter = 0.95 is above the maximum 0.9"},
      {"heartbeat_ms = 0", "m.toml:4:16: error: plugins.storage.config.heartbeat_ms = 0 is below the minimum 1 (ms)"},
      {"stream_per_member = 65",
       "m.toml:4:21: error: plugins.storage.config.stream_per_member = 65 is above the maximum 64"},
      {"peer_quota_bytes = -1",
       "m.toml:4:20: error: plugins.storage.config.peer_quota_bytes = -1 is below the minimum 0 (bytes)"},
      {"memory_share = 1.5", "m.toml:4:16: error: plugins.storage.config.memory_share = 1.5 is above the maximum 1"},
      {"audit_per_tick = 100001",
       "m.toml:4:18: error: plugins.storage.config.audit_per_tick = 100001 is above the maximum 100000"},
  });
}

TEST_CASE("config values at the schema's bounds pass") {
  schema.require_accepted({"replicas = 32", "block_size = 1024", "jitter = 0.9", "stream_per_member = 64",
                           "peer_quota_bytes = 0", "audit_per_tick = 100000", "persist = false"});
}
