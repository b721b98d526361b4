// read_descriptor with the ABI 1.3 config_key_ext records: defaults, ranges and units are copied
// into the schema; a v1.0 descriptor is read as before; a schema that contradicts itself refuses
// the plugin with the key and the reason.
#include "loader/descriptor.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace butter::host;

namespace {

const butter_config_key kKeys[] = {
    {"ttl_ms", BUTTER_CONFIG_INT, 0, "entry lifetime"}, {"ratio", BUTTER_CONFIG_FLOAT, 0, nullptr},
    {"name", BUTTER_CONFIG_STRING, 0, nullptr},         {"peers", BUTTER_CONFIG_STRING_ARRAY, 0, nullptr},
    {"loud", BUTTER_CONFIG_BOOL, 0, nullptr},           {"port", BUTTER_CONFIG_INT, 1, nullptr},
};
const char* const kPeers[] = {"a", "b", nullptr};

butter_config_key_ext ext(const char* key, std::uint32_t has) {
  butter_config_key_ext e{};
  e.key = key;
  e.has = has;
  return e;
}

std::vector<butter_config_key_ext> good_ext() {
  auto ttl = ext("ttl_ms", BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX);
  ttl.int_default = 30000;
  ttl.int_min = 1;
  ttl.int_max = 3600000;
  ttl.unit = "ms";
  auto ratio = ext("ratio", BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX);
  ratio.float_default = 0.5;
  ratio.float_min = 0;
  ratio.float_max = 1;
  auto name = ext("name", BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MAX_LEN);
  name.string_default = "node";
  name.max_len = 16;
  auto peers = ext("peers", BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MAX_LEN);
  peers.strings_default = kPeers;
  peers.max_len = 8;
  auto loud = ext("loud", BUTTER_CONFIG_HAS_DEFAULT);
  loud.bool_default = 1;
  auto port = ext("port", BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX);
  port.int_min = 1;
  port.int_max = 65535;
  return {ttl, ratio, name, peers, loud, port};
}

butter_plugin_descriptor with_ext(const std::vector<butter_config_key_ext>& records) {
  butter_plugin_descriptor d{};
  d.struct_size = sizeof d;
  d.abi = butter_version BUTTER_ABI_VERSION_INIT;
  d.id = "org.example.ranged";
  d.version = "1.0.0";
  d.config_schema = kKeys;
  d.config_schema_len = sizeof kKeys / sizeof kKeys[0];
  d.config_key_ext = records.data();
  d.config_key_ext_len = static_cast<std::uint32_t>(records.size());
  d.config_key_ext_size = sizeof(butter_config_key_ext);
  return d;
}

const ConfigKeySpec& key(const PluginInfo& info, const std::string& k) {
  for (const auto& spec : info.config_schema) {
    if (spec.key == k) return spec;
  }
  FAIL("no key " << k);
  throw;
}

std::string refusal(const butter_plugin_descriptor& d) {
  PluginInfo info;
  Error e = read_descriptor(&d, info);
  REQUIRE(e);
  CHECK(e.code == BUTTER_E_INVALID);
  return e.message;
}

}  // namespace

TEST_CASE("config_key_ext: defaults, ranges, max_len and units reach the schema") {
  const auto records = good_ext();
  const auto d = with_ext(records);
  PluginInfo info;
  REQUIRE_FALSE(read_descriptor(&d, info));
  const auto& ttl = key(info, "ttl_ms");
  CHECK(std::get<std::int64_t>(*ttl.default_value) == 30000);
  CHECK(ttl.int_min == 1);
  CHECK(ttl.int_max == 3600000);
  CHECK(ttl.unit == "ms");
  CHECK(ttl.description == "entry lifetime");
  const auto& ratio = key(info, "ratio");
  CHECK(std::get<double>(*ratio.default_value) == 0.5);
  CHECK(ratio.float_min == 0.0);
  CHECK(ratio.float_max == 1.0);
  CHECK(std::get<std::string>(*key(info, "name").default_value) == "node");
  CHECK(key(info, "name").max_len == 16u);
  CHECK(std::get<std::vector<std::string>>(*key(info, "peers").default_value) == std::vector<std::string>{"a", "b"});
  CHECK(std::get<bool>(*key(info, "loud").default_value));
  CHECK_FALSE(key(info, "port").default_value);
  CHECK(key(info, "port").int_max == 65535);
}

TEST_CASE("config_key_ext: a v1.0 descriptor is read as before, whatever lies beyond it") {
  // A plugin built against ABI 1.0..1.2: its struct_size ends before config_key_ext, so the bytes
  // after it (here records a 1.3 plugin would mean) are never read.
  const auto records = good_ext();
  auto d = with_ext(records);
  d.struct_size = static_cast<std::uint32_t>(kDescriptorV1Size);
  d.abi.minor = 2;
  PluginInfo info;
  REQUIRE_FALSE(read_descriptor(&d, info));
  REQUIRE(info.config_schema.size() == 6);
  for (const auto& spec : info.config_schema) {
    CHECK_FALSE(spec.default_value);
    CHECK_FALSE(spec.int_min);
    CHECK_FALSE(spec.max_len);
    CHECK(spec.unit.empty());
  }
  CHECK(key(info, "port").required);
}

TEST_CASE("config_key_ext: no records keeps the v1.0 behaviour") {
  auto d = with_ext({});
  d.config_key_ext = nullptr;
  PluginInfo info;
  REQUIRE_FALSE(read_descriptor(&d, info));
  CHECK_FALSE(key(info, "ttl_ms").default_value);
}

TEST_CASE("config_key_ext: a larger stride from a newer minor is walked, its tail ignored") {
  struct Grown {
    butter_config_key_ext v13;
    std::uint64_t later_field;
  };
  const auto base = good_ext();
  std::vector<Grown> grown;
  for (const auto& r : base) grown.push_back(Grown{r, 0xdeadbeef});
  auto d = with_ext(base);
  d.config_key_ext = &grown[0].v13;
  d.config_key_ext_size = sizeof(Grown);
  PluginInfo info;
  REQUIRE_FALSE(read_descriptor(&d, info));
  CHECK(key(info, "port").int_max == 65535);
  CHECK(std::get<bool>(*key(info, "loud").default_value));
}

TEST_CASE("config_key_ext: a schema that contradicts itself refuses the plugin, naming key and reason") {
  auto records = good_ext();
  SECTION("min above max") {
    records[0].int_min = 10;
    records[0].int_max = 5;
    records[0].int_default = 7;
    CHECK_THAT(refusal(with_ext(records)),
               Catch::Contains("config key 'ttl_ms': the minimum 10 is above the maximum 5"));
  }
  SECTION("an int default below the minimum") {
    records[0].int_default = -5;
    CHECK_THAT(refusal(with_ext(records)),
               Catch::Contains("config key 'ttl_ms': the default -5 is below the minimum 1 (ms)"));
  }
  SECTION("a float default above the maximum") {
    records[1].float_default = 2.5;
    CHECK_THAT(refusal(with_ext(records)),
               Catch::Contains("config key 'ratio': the default 2.5 is above the maximum 1"));
  }
  SECTION("a float bound that is not a number") {
    records[1].float_max = std::numeric_limits<double>::quiet_NaN();
    CHECK_THAT(refusal(with_ext(records)), Catch::Contains("config key 'ratio': the maximum is not a finite number"));
  }
  SECTION("a string default longer than max_len") {
    records[2].max_len = 2;
    CHECK_THAT(
        refusal(with_ext(records)),
        Catch::Contains("config key 'name': the default \"node\" is 4 bytes long, more than the maximum 2 bytes"));
  }
  SECTION("a default on a required key") {
    records[5].has |= BUTTER_CONFIG_HAS_DEFAULT;
    records[5].int_default = 80;
    CHECK_THAT(refusal(with_ext(records)), Catch::Contains("config key 'port' is required and declares a default"));
  }
  SECTION("a range on a string key") {
    records[2].has |= BUTTER_CONFIG_HAS_MIN;
    CHECK_THAT(refusal(with_ext(records)), Catch::Contains("config key 'name' declares a min or max, but is string"));
  }
  SECTION("max_len on a boolean key") {
    records[4].has |= BUTTER_CONFIG_HAS_MAX_LEN;
    CHECK_THAT(refusal(with_ext(records)), Catch::Contains("config key 'loud' declares max_len, but is boolean"));
  }
  SECTION("an unknown flag") {
    records[4].has |= 1u << 20;
    CHECK_THAT(refusal(with_ext(records)), Catch::Contains("config key 'loud' has unknown flags 1048576"));
  }
  SECTION("a record for an undeclared key") {
    records[3].key = "perrs";
    CHECK_THAT(refusal(with_ext(records)),
               Catch::Contains("config_key_ext[3] names 'perrs', which config_schema does not declare"));
  }
  SECTION("two records for one key") {
    records[3].key = "ttl_ms";
    CHECK_THAT(refusal(with_ext(records)), Catch::Contains("config_key_ext has two records for config key 'ttl_ms'"));
  }
  SECTION("a string default that is NULL") {
    records[2].string_default = nullptr;
    CHECK_THAT(refusal(with_ext(records)), Catch::Contains("config key 'name': the default string is NULL"));
  }
  SECTION("a stride smaller than the 1.3 record") {
    auto d = with_ext(records);
    d.config_key_ext_size = 8;
    CHECK_THAT(refusal(d), Catch::Contains("config_key_ext_size is 8; set it to sizeof(butter_config_key_ext)"));
  }
  SECTION("a stride of 0, the field left out") {
    auto d = with_ext(records);
    d.config_key_ext_size = 0;
    CHECK_THAT(refusal(d), Catch::Contains("config_key_ext_size is 0"));
  }
  SECTION("records NULL with a length") {
    auto d = with_ext(records);
    d.config_key_ext = nullptr;
    CHECK_THAT(refusal(d), Catch::Contains("config_key_ext is NULL but config_key_ext_len is 6"));
  }
}
