// ir-dbfs's config schema (issue 20), as the host reads it from the built plugin: each key's
// default, range and unit are declared once (plugin_entry.cpp), so a manifest value out of range
// is refused at its file:line:column with the key named, before the plugin runs; values at the
// bounds pass.
#include "support/schema_check.hpp"

#include <catch2/catch.hpp>

#include <vector>

namespace {

const butter::test::SchemaUnderTest schema{"search", "butter.ir.dbfs", std::string(BUTTER_PLUGIN_DIR) + "/ir-dbfs.so"};

}  // namespace

TEST_CASE("config values outside the schema's ranges are refused with the manifest, at their position, key named") {
  schema.require_refused({
      {"neighbours = 0", "m.toml:4:14: error: plugins.search.config.neighbours = 0 is below the minimum 1"},
      {"max_ttl = 33", "m.toml:4:11: error: plugins.search.config.max_ttl = 33 is above the maximum 32 (hops)"},
      {"max_terms = 17", "m.toml:4:13: error: plugins.search.config.max_terms = 17 is above the maximum 16"},
      {"hop_ms = 20000.0", "m.toml:4:10: error: plugins.search.config.hop_ms = 20000 is above the maximum 10000 (ms)"},
      {"burst = 0.5", "m.toml:4:9: error: plugins.search.config.burst = 0.5 is below the minimum 1 (queries)"},
      {"max_inbound_per_address = -1",
       "m.toml:4:27: error: plugins.search.config.max_inbound_per_address = -1 is below the minimum 0"},
      {"verify_timeout_ms = 600001",
       "m.toml:4:21: error: plugins.search.config.verify_timeout_ms = 600001 is above the maximum 600000 (ms)"},
      {"method = \"directed-directed\"",
       "m.toml:4:10: error: plugins.search.config.method is 17 bytes long, more than the maximum 16 bytes"},
  });
}

TEST_CASE("config values at the schema's bounds pass") {
  schema.require_accepted({"neighbours = 64", "max_ttl = 1", "max_terms = 16", "hop_ms = 10000.0",
                           "max_inbound_per_address = 0", "verify_timeout_ms = 600000", "method = \"flood\"",
                           "verify = false"});
}
