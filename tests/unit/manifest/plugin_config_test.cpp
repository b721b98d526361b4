// validate_plugin_config: unknown keys, missing required keys and wrong types, all collected, at
// the positions the manifest recorded.
#include <catch2/catch.hpp>

#include "manifest/manifest.hpp"

#include <array>

using namespace butter::host;

namespace {

const std::array<ConfigKeySpec, 5> kSchema{{
    {"greeting", ConfigType::String, true, "what to say"},
    {"count", ConfigType::Integer, false, ""},
    {"ratio", ConfigType::Float, false, ""},
    {"loud", ConfigType::Boolean, false, ""},
    {"peers", ConfigType::StringArray, true, ""},
}};

PluginSpec echo_from(const std::string& config_lines) {
  Diagnostics diags;
  const auto m = parse_manifest(
      "[plugins.echo]\nplugin = \"butter.example.echo\"\n[plugins.echo.config]\n" + config_lines, "m.toml", diags);
  INFO(diags.to_string());
  REQUIRE(m);
  REQUIRE(m->plugins.size() == 1);
  return m->plugins[0];
}

std::vector<std::string> check(const PluginSpec& plugin, std::span<const ConfigKeySpec> schema) {
  Diagnostics diags;
  validate_plugin_config(plugin, schema, diags);
  std::vector<std::string> out;
  for (const auto& d : diags.items) out.push_back(d.to_string());
  return out;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("plugin config: type names") {
  CHECK(std::string(config_type_name(ConfigType::String)) == "string");
  CHECK(std::string(config_type_name(ConfigType::Integer)) == "integer");
  CHECK(std::string(config_type_name(ConfigType::Float)) == "float");
  CHECK(std::string(config_type_name(ConfigType::Boolean)) == "boolean");
  CHECK(std::string(config_type_name(ConfigType::StringArray)) == "array of strings");
}

TEST_CASE("plugin config: a valid config passes") {
  const auto p = echo_from("greeting = \"hi\"\ncount = 2\nratio = 0.25\nloud = false\npeers = []\n");
  CHECK(check(p, kSchema).empty());
}

TEST_CASE("plugin config: an integer is accepted for a float") {
  const auto p = echo_from("greeting = \"hi\"\npeers = [\"a\"]\nratio = 2\n");
  CHECK(check(p, kSchema).empty());
  CHECK(std::get<std::int64_t>(p.config.at("ratio").value) == 2);
}

TEST_CASE("plugin config: a float is not accepted for an integer") {
  const auto p = echo_from("greeting = \"hi\"\npeers = [\"a\"]\ncount = 2.0\n");
  CHECK(check(p, kSchema) == Lines{"m.toml:6:9: error: plugins.echo.config.count: expected an integer, got float"});
}

TEST_CASE("plugin config: unknown keys with a suggestion") {
  const auto p = echo_from("greting = \"hi\"\npeers = [\"a\"]\nzzz = 1\n");
  CHECK(check(p, kSchema) ==
        Lines{"m.toml:1:1: error: missing required key \"greeting\" (string) in [plugins.echo.config]: what to say",
              "m.toml:4:11: error: unknown key \"greting\" in [plugins.echo.config] (did you mean \"greeting\"?)",
              "m.toml:6:7: error: unknown key \"zzz\" in [plugins.echo.config]"});
}

TEST_CASE("plugin config: a plugin without a schema takes no config") {
  const auto p = echo_from("x = 1\n");
  CHECK(check(p, {}) ==
        Lines{"m.toml:4:5: error: unknown key \"x\" in [plugins.echo.config] (plugin butter.example.echo takes no "
              "config)"});
}

TEST_CASE("plugin config: missing required keys at the plugin table") {
  Diagnostics diags;
  const auto m = parse_manifest("\n\n[plugins.echo]\nplugin = \"p\"\n", "m.toml", diags);
  REQUIRE(m);
  CHECK(check(m->plugins[0], kSchema) ==
        Lines{"m.toml:3:1: error: missing required key \"greeting\" (string) in [plugins.echo.config]: what to say",
              "m.toml:3:1: error: missing required key \"peers\" (array of strings) in [plugins.echo.config]"});
}

TEST_CASE("plugin config: every wrong type is reported together") {
  const auto p = echo_from(
      "greeting = 1\n"     // 4
      "count = \"2\"\n"    // 5
      "ratio = true\n"     // 6
      "loud = \"yes\"\n"   // 7
      "peers = \"a\"\n");  // 8
  CHECK(check(p, kSchema) == Lines{
                                 "m.toml:4:12: error: plugins.echo.config.greeting: expected a string, got integer",
                                 "m.toml:5:9: error: plugins.echo.config.count: expected an integer, got string",
                                 "m.toml:6:9: error: plugins.echo.config.ratio: expected a float, got boolean",
                                 "m.toml:7:8: error: plugins.echo.config.loud: expected a boolean, got string",
                                 "m.toml:8:9: error: plugins.echo.config.peers: expected an array of strings, got "
                                 "string",
                             });
}

TEST_CASE("plugin config: quoted keys are quoted in messages") {
  const std::array<ConfigKeySpec, 1> schema{{{"a key", ConfigType::Integer, false, ""}}};
  const auto p = echo_from("\"a key\" = \"x\"\n");
  CHECK(check(p, schema) ==
        Lines{"m.toml:4:11: error: plugins.echo.config.\"a key\": expected an integer, got string"});
}

namespace {

// Keys with the ABI 1.3 bounds, as the loader builds them from butter_config_key_ext.
std::vector<ConfigKeySpec> ranged_schema() {
  ConfigKeySpec ttl{"ttl_ms", ConfigType::Integer, false, "entry lifetime"};
  ttl.int_min = 1;
  ttl.int_max = 3600000;
  ttl.unit = "ms";
  ttl.default_value = ConfigScalar{std::int64_t{30000}};
  ConfigKeySpec ratio{"ratio", ConfigType::Float, false, ""};
  ratio.float_min = 0.0;
  ratio.float_max = 1.0;
  ConfigKeySpec name{"name", ConfigType::String, false, ""};
  name.max_len = 4;
  ConfigKeySpec peers{"peers", ConfigType::StringArray, false, ""};
  peers.max_len = 2;
  return {ttl, ratio, name, peers};
}

}  // namespace

TEST_CASE("plugin config: values within their range pass, bounds included") {
  const auto schema = ranged_schema();
  CHECK(check(echo_from("ttl_ms = 1\nratio = 1\nname = \"abcd\"\npeers = [\"a\", \"b\"]\n"), schema).empty());
  CHECK(check(echo_from("ttl_ms = 3600000\nratio = 0.0\n"), schema).empty());
}

TEST_CASE("plugin config: an integer out of range is reported at its position with the bound and unit") {
  const auto schema = ranged_schema();
  CHECK(check(echo_from("ttl_ms = -5\n"), schema) ==
        Lines{"m.toml:4:10: error: plugins.echo.config.ttl_ms = -5 is below the minimum 1 (ms)"});
  CHECK(check(echo_from("\nttl_ms = 3600001\n"), schema) ==
        Lines{"m.toml:5:10: error: plugins.echo.config.ttl_ms = 3600001 is above the maximum 3600000 (ms)"});
}

TEST_CASE("plugin config: a float out of range is reported, an integer for a float too") {
  const auto schema = ranged_schema();
  CHECK(check(echo_from("ratio = 1.5\n"), schema) ==
        Lines{"m.toml:4:9: error: plugins.echo.config.ratio = 1.5 is above the maximum 1"});
  CHECK(check(echo_from("ratio = -1\n"), schema) ==
        Lines{"m.toml:4:9: error: plugins.echo.config.ratio = -1 is below the minimum 0"});
  CHECK(check(echo_from("ratio = nan\n"), schema) ==
        Lines{"m.toml:4:9: error: plugins.echo.config.ratio = nan is not a number"});
}

TEST_CASE("plugin config: a string or array beyond max_len is reported without repeating it") {
  const auto schema = ranged_schema();
  CHECK(check(echo_from("name = \"abcde\"\npeers = [\"a\", \"b\", \"c\"]\n"), schema) ==
        Lines{"m.toml:4:8: error: plugins.echo.config.name is 5 bytes long, more than the maximum 4 bytes",
              "m.toml:5:9: error: plugins.echo.config.peers has 3 items, more than the maximum 2"});
}

TEST_CASE("plugin config: a wrong type is reported once, not also as out of range") {
  const auto schema = ranged_schema();
  CHECK(check(echo_from("ttl_ms = \"-5\"\n"), schema) ==
        Lines{"m.toml:4:10: error: plugins.echo.config.ttl_ms: expected an integer, got string"});
}

TEST_CASE("plugin config: schema values read as TOML") {
  CHECK(config_value_text(ConfigScalar{std::int64_t{-5}}) == "-5");
  CHECK(config_value_text(ConfigScalar{0.25}) == "0.25");
  CHECK(config_value_text(ConfigScalar{true}) == "true");
  CHECK(config_value_text(ConfigScalar{std::string("a\"b")}) == "\"a\\\"b\"");
  CHECK(config_value_text(ConfigScalar{std::vector<std::string>{"a", "b"}}) == "[\"a\", \"b\"]");
}
