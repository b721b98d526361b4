// read_descriptor: each way a descriptor can be wrong is refused with a message that names it.
#include "loader/descriptor.hpp"
#include "loader/guarded_call.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace butter::host;

namespace {

const char* const kProvides[] = {"x.y/1", nullptr};
const butter_config_key kSchema[] = {{"port", BUTTER_CONFIG_INT, 1, "Port"}};

butter_plugin_descriptor good() {
  butter_plugin_descriptor d{};
  d.struct_size = sizeof d;
  d.abi = butter_version BUTTER_ABI_VERSION_INIT;
  d.id = "org.example.thing";
  d.name = "Thing";
  d.vendor = "Example";
  d.version = "1.0.0";
  d.description = "A thing";
  d.provides = kProvides;
  d.config_schema = kSchema;
  d.config_schema_len = 1;
  return d;
}

std::string problem(const butter_plugin_descriptor& d) {
  PluginInfo info;
  Error e = read_descriptor(&d, info);
  REQUIRE(e);
  return e.message;
}

}  // namespace

TEST_CASE("a good descriptor is copied") {
  auto d = good();
  PluginInfo info;
  REQUIRE_FALSE(read_descriptor(&d, info));
  CHECK(info.id == "org.example.thing");
  CHECK(info.provides == std::vector<std::string>{"x.y/1"});
  REQUIRE(info.config_schema.size() == 1);
  CHECK(info.config_schema[0].type == ConfigType::Integer);
  CHECK(info.raw == &d);
}

TEST_CASE("a larger struct_size from a newer minor is accepted") {
  auto d = good();
  d.struct_size = sizeof d + 16;
  d.abi.minor = 7;
  PluginInfo info;
  CHECK_FALSE(read_descriptor(&d, info));
  CHECK(info.abi.minor == 7);
}

TEST_CASE("descriptor refusals name the problem") {
  auto d = good();
  SECTION("NULL") {
    PluginInfo info;
    CHECK_THAT(read_descriptor(nullptr, info).message, Catch::Contains("NULL"));
  }
  SECTION("struct_size too small") {
    d.struct_size = 8;
    CHECK_THAT(problem(d), Catch::Contains("struct_size is 8"));
  }
  SECTION("another ABI major") {
    d.abi = {3, 1, 0};
    PluginInfo info;
    Error e = read_descriptor(&d, info);
    CHECK(e.code == BUTTER_E_UNSUPPORTED);
    CHECK_THAT(e.message, Catch::Contains("built for Butter ABI 3.1.0; this host speaks 1.x"));
  }
  SECTION("NULL id") {
    d.id = nullptr;
    CHECK_THAT(problem(d), Catch::Contains("id is NULL"));
  }
  SECTION("empty id") {
    d.id = "";
    CHECK_THAT(problem(d), Catch::Contains("id is empty"));
  }
  SECTION("id with a slash") {
    d.id = "org/example";
    CHECK_THAT(problem(d), Catch::Contains("'org/example' is not a valid plugin id"));
  }
  SECTION("overlong id") {
    std::string long_id(kMaxIdBytes + 1, 'a');
    d.id = long_id.c_str();
    CHECK_THAT(problem(d), Catch::Contains("id is longer than"));
  }
  SECTION("NULL version") {
    d.version = nullptr;
    CHECK_THAT(problem(d), Catch::Contains("version is NULL"));
  }
  SECTION("unterminated provides list") {
    std::vector<const char*> many(kMaxListEntries + 5, "a.b/1");
    d.provides = many.data();
    CHECK_THAT(problem(d), Catch::Contains("provides has more than 64 entries"));
  }
  SECTION("duplicate required entry") {
    const char* const req[] = {"a.b/1", "a.b/1", nullptr};
    d.required = req;
    CHECK_THAT(problem(d), Catch::Contains("required lists 'a.b/1' twice"));
  }
  SECTION("interface id with a space") {
    const char* const opt[] = {"a b", nullptr};
    d.optional = opt;
    CHECK_THAT(problem(d), Catch::Contains("optional entry 'a b' is not a valid interface id"));
  }
  SECTION("unknown config type") {
    const butter_config_key keys[] = {{"mode", 42, 0, nullptr}};
    d.config_schema = keys;
    CHECK_THAT(problem(d), Catch::Contains("config key 'mode' has unknown type 42"));
  }
  SECTION("config schema NULL with a length") {
    d.config_schema = nullptr;
    d.config_schema_len = 3;
    CHECK_THAT(problem(d), Catch::Contains("config_schema is NULL"));
  }
  SECTION("too many config keys") {
    d.config_schema_len = 1000;
    CHECK_THAT(problem(d), Catch::Contains("1000 keys"));
  }
  SECTION("duplicate config key") {
    const butter_config_key keys[] = {{"a", BUTTER_CONFIG_BOOL, 0, nullptr}, {"a", BUTTER_CONFIG_INT, 0, nullptr}};
    d.config_schema = keys;
    d.config_schema_len = 2;
    CHECK_THAT(problem(d), Catch::Contains("config key 'a' is declared twice"));
  }
  SECTION("config key with a dot") {
    const butter_config_key keys[] = {{"a.b", BUTTER_CONFIG_BOOL, 0, nullptr}};
    d.config_schema = keys;
    CHECK_THAT(problem(d), Catch::Contains("config key 'a.b' is not a valid key"));
  }
}

TEST_CASE("every problem of a descriptor is reported together") {
  auto d = good();
  d.id = "bad id";
  d.version = nullptr;
  const std::string m = problem(d);
  CHECK_THAT(m, Catch::Contains("'bad id'"));
  CHECK_THAT(m, Catch::Contains("version is NULL"));
}

TEST_CASE("plugin id syntax") {
  CHECK(is_valid_plugin_id("butter.discovery.multicast"));
  CHECK(is_valid_plugin_id("org.example.static-peers"));
  CHECK(is_valid_plugin_id("A_b-9"));
  CHECK_FALSE(is_valid_plugin_id(""));
  CHECK_FALSE(is_valid_plugin_id("a b"));
  CHECK_FALSE(is_valid_plugin_id("a/b"));
  CHECK_FALSE(is_valid_plugin_id("é"));
}

TEST_CASE("guarded_call reports what a callee threw") {
  std::string what;
  CHECK(guarded_call([] {}, what));
  CHECK_FALSE(guarded_call([] { throw std::runtime_error("boom"); }, what));
  CHECK(what == "threw boom");
  CHECK_FALSE(guarded_call([] { throw 42; }, what));
  CHECK_THAT(what, Catch::Contains("not a std::exception"));
}
