// The C++ builder of config keys (config_int(...).range().unit()...) and the getters without a
// default argument: the C descriptor carries the ABI 1.3 records, and butter::Config serves a
// schema default itself when the host serves none (a host older than 1.3, this fake host).
#include <butter/testing.hpp>

#include <butter/plugin.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <string>

namespace fake = butter::testing;

namespace {

butter::Descriptor ranged() {
  return butter::Descriptor{
      .id = "test.ranged",
      .version = "1.0.0",
      .config = {
          butter::config_int("ttl_ms", 30000).range(1, 3600000).unit("ms").describe("entry lifetime"),
          butter::config_float("ratio", 0.5).range(0, 1),
          butter::config_bool("loud", true),
          butter::config_string("name", "node").max_len(16),
          butter::config_strings("peers", {"a", "b"}).max_len(8),
          butter::config_int("port").require().min(1).max(65535),
          {"legacy", butter::ConfigType::Int, false, "v1 aggregate form"},
          {"legacy_ratio", butter::ConfigType::Float, false, "v1 aggregate form"},
      }};
}

const butter_config_key_ext* record(const butter_plugin_descriptor* d, const char* key) {
  for (std::uint32_t i = 0; i < d->config_key_ext_len; ++i) {
    if (std::strcmp(d->config_key_ext[i].key, key) == 0) return &d->config_key_ext[i];
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the builder fills the v1 keys and one config_key_ext record per refined key", "[sdk][config]") {
  butter::detail::DescriptorStorage storage(ranged());
  const butter_plugin_descriptor* d = storage.c();
  CHECK(d->struct_size == sizeof(butter_plugin_descriptor));
  REQUIRE(d->config_schema_len == 8);
  CHECK(std::string(d->config_schema[0].key) == "ttl_ms");
  CHECK(d->config_schema[0].type == BUTTER_CONFIG_INT);
  CHECK(std::string(d->config_schema[0].description) == "entry lifetime");
  CHECK(d->config_schema[5].required == 1);
  CHECK(d->config_key_ext_size == sizeof(butter_config_key_ext));
  CHECK(d->config_key_ext_len == 6);  // "legacy" and "legacy_ratio" declare nothing more
  CHECK(record(d, "legacy") == nullptr);
  CHECK(record(d, "legacy_ratio") == nullptr);

  const auto* ttl = record(d, "ttl_ms");
  REQUIRE(ttl);
  CHECK(ttl->has == (BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX));
  CHECK(ttl->int_default == 30000);
  CHECK(ttl->int_min == 1);
  CHECK(ttl->int_max == 3600000);
  CHECK(std::string(ttl->unit) == "ms");
  const auto* ratio = record(d, "ratio");
  REQUIRE(ratio);
  CHECK(ratio->float_default == 0.5);
  CHECK(ratio->float_min == 0.0);
  CHECK(ratio->float_max == 1.0);
  CHECK(ratio->unit == nullptr);
  const auto* name = record(d, "name");
  REQUIRE(name);
  CHECK(name->has == (BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MAX_LEN));
  CHECK(name->max_len == 16);
  CHECK(std::string(name->string_default) == "node");
  const auto* peers = record(d, "peers");
  REQUIRE(peers);
  REQUIRE(peers->strings_default);
  CHECK(std::string(peers->strings_default[1]) == "b");
  CHECK(peers->strings_default[2] == nullptr);
  const auto* port = record(d, "port");
  REQUIRE(port);
  CHECK(port->has == (BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX));
  CHECK(record(d, "loud")->bool_default == 1);
}

TEST_CASE("getters without a default argument read the schema default", "[sdk][config]") {
  butter::detail::DescriptorStorage storage(ranged());
  fake::Host host;  // serves no schema defaults, as a host older than ABI 1.3
  butter::detail::Core core(host.host());
  const butter::Config config(&core, storage.c());
  SECTION("absent keys give the schema default, over any argument") {
    CHECK(config.get_int("ttl_ms") == 30000);
    CHECK(config.get_int("ttl_ms", 5) == 30000);
    CHECK(config.get_float("ratio") == 0.5);
    CHECK(config.get_bool("loud") == true);
    CHECK(config.get_string("name") == "node");
    CHECK(config.get_strings("peers") == std::vector<std::string>{"a", "b"});
  }
  SECTION("a key without a schema default keeps the argument") {
    CHECK(config.get_int("legacy", 7) == 7);
    CHECK(config.get_int("port", 80) == 80);
    CHECK(config.get_int("legacy") == 0);
  }
  SECTION("a value the host has wins") {
    host.config["ttl_ms"] = std::int64_t{10};
    host.config["name"] = std::string("zed");
    host.config["peers"] = std::vector<std::string>{};
    CHECK(config.get_int("ttl_ms") == 10);
    CHECK(config.get_string("name") == "zed");
    CHECK(config.get_strings("peers").empty());
  }
  SECTION("without a descriptor the getters behave as before") {
    const butter::Config bare(&core);
    CHECK(bare.get_int("ttl_ms") == 0);
    CHECK(bare.get_int("ttl_ms", 9) == 9);
  }
}

TEST_CASE("get_int_in returns a value in its range and refuses one outside naming key range and value",
          "[sdk][config]") {
  butter::detail::DescriptorStorage storage(ranged());
  fake::Host host;  // enforces no ranges, as a host older than ABI 1.3
  butter::detail::Core core(host.host());
  const butter::Config config(&core, storage.c());
  auto refusal = [&](const std::string& key, std::int64_t min, std::int64_t max) -> std::string {
    try {
      (void)config.get_int_in(key, min, max);
    } catch (const butter::Error& e) {
      CHECK(e.code() == BUTTER_E_INVALID);
      return e.what();
    }
    return "accepted";
  };
  CHECK(config.get_int_in("ttl_ms", 1, 3600000) == 30000);  // the schema default, in range
  host.config["port"] = std::int64_t{65535};
  CHECK(config.get_int_in("port", 1, 65535) == 65535);  // the bounds are inclusive
  host.config["port"] = std::int64_t{1};
  CHECK(config.get_int_in("port", 1, 65535) == 1);
  host.config["port"] = std::int64_t{0};
  CHECK(refusal("port", 1, 65535) == "port must be in 1..65535, got 0");
  host.config["port"] = std::int64_t{70000};
  CHECK(refusal("port", 1, 65535) == "port must be in 1..65535, got 70000");
  // A key whose schema states no range: get_int_in's own bound, with no maximum.
  host.config["legacy"] = std::int64_t{-5};
  CHECK(refusal("legacy", 0, std::numeric_limits<std::int64_t>::max()) == "legacy must be >= 0, got -5");
  CHECK(refusal("legacy", -10, -6) == "legacy must be in -10..-6, got -5");
  host.config["port"] = std::string("eighty");  // another type is still a schema/code mismatch
  CHECK_THAT(refusal("port", 1, 65535), Catch::Contains("is not an integer"));
}

TEST_CASE("get_float_in returns a value in its range and refuses one outside naming key range and value",
          "[sdk][config]") {
  butter::detail::DescriptorStorage storage(ranged());
  fake::Host host;  // enforces no ranges, as a host older than ABI 1.3
  butter::detail::Core core(host.host());
  const butter::Config config(&core, storage.c());
  using Open = butter::Config::Open;
  auto refusal = [&](double min, double max, Open open = Open::None, const std::string& key = "ratio") -> std::string {
    try {
      (void)config.get_float_in(key, min, max, open);
    } catch (const butter::Error& e) {
      CHECK(e.code() == BUTTER_E_INVALID);
      return e.what();
    }
    return "accepted";
  };
  CHECK(config.get_float_in("ratio", 0, 1, Open::Min) == 0.5);  // the schema default, in range
  SECTION("closed bounds take their own values") {
    host.config["ratio"] = 0.0;
    CHECK(config.get_float_in("ratio", 0, 1) == 0.0);
    host.config["ratio"] = 1.0;
    CHECK(config.get_float_in("ratio", 0, 1) == 1.0);
    host.config["ratio"] = std::int64_t{1};  // an integer value is a fine float
    CHECK(config.get_float_in("ratio", 0, 1) == 1.0);
    host.config["ratio"] = 1.5;
    CHECK(refusal(0, 1) == "ratio must be in [0, 1], got 1.5");
    host.config["legacy_ratio"] = -0.25;
    CHECK(refusal(0, 0.9, Open::None, "legacy_ratio") == "legacy_ratio must be in [0, 0.9], got -0.25");
  }
  SECTION("an open bound refuses its own value") {
    host.config["ratio"] = 0.0;
    CHECK(refusal(0, 1, Open::Min) == "ratio must be in (0, 1], got 0");
    host.config["ratio"] = 1.0;
    CHECK(refusal(0, 1, Open::Max) == "ratio must be in [0, 1), got 1");
    CHECK(refusal(0, 1, Open::Both) == "ratio must be in (0, 1), got 1");
    host.config["ratio"] = 0.0;
    CHECK(refusal(0, std::numeric_limits<double>::infinity(), Open::Min) == "ratio must be > 0, got 0");
    // Values outside ratio's schema range [0, 1] are refused by the schema first (next case), so
    // these bounds are tried on a key whose schema states none.
    constexpr double kInf = std::numeric_limits<double>::infinity();
    host.config["legacy_ratio"] = -1.0;
    CHECK(refusal(0, kInf, Open::None, "legacy_ratio") == "legacy_ratio must be >= 0, got -1");
    host.config["legacy_ratio"] = 2e6;
    CHECK(refusal(0, 1e6, Open::Min, "legacy_ratio") == "legacy_ratio must be in (0, 1000000], got 2000000");
  }
  SECTION("NaN is never in range") {
    host.config["ratio"] = std::numeric_limits<double>::quiet_NaN();
    CHECK(refusal(0, 1) == "ratio must be in [0, 1], got nan");
  }
  SECTION("another type is still a schema/code mismatch") {
    host.config["ratio"] = std::string("half");
    CHECK_THAT(refusal(0, 1), Catch::Contains("is not a number"));
  }
}

TEST_CASE("get_int and get_float refuse a value outside the schema's range on a host that enforces none",
          "[sdk][config]") {
  // The range is written once, in the schema: the plain getters check it, so a plugin's casts are
  // safe on a host older than ABI 1.3 (or this fake) without repeating the bounds at each read.
  butter::detail::DescriptorStorage storage(ranged());
  fake::Host host;
  butter::detail::Core core(host.host());
  const butter::Config config(&core, storage.c());
  const auto refusal = [](auto&& read) -> std::string {
    try {
      (void)read();
    } catch (const butter::Error& e) {
      CHECK(e.code() == BUTTER_E_INVALID);
      return e.what();
    }
    return "accepted";
  };
  host.config["ttl_ms"] = std::int64_t{3600000};
  CHECK(config.get_int("ttl_ms") == 3600000);  // inclusive
  host.config["ttl_ms"] = std::int64_t{-5};
  CHECK(refusal([&] { return config.get_int("ttl_ms"); }) == "ttl_ms must be in 1..3600000, got -5");
  CHECK(refusal([&] { return config.get_int("ttl_ms", 7); }) == "ttl_ms must be in 1..3600000, got -5");
  host.config["port"] = std::int64_t{0};  // .min(1).max(65535), no default
  CHECK(refusal([&] { return config.get_int("port"); }) == "port must be in 1..65535, got 0");
  host.config["ratio"] = 1.25;
  CHECK(refusal([&] { return config.get_float("ratio"); }) == "ratio must be in [0, 1], got 1.25");
  host.config["ratio"] = std::numeric_limits<double>::quiet_NaN();
  CHECK(refusal([&] { return config.get_float("ratio"); }) == "ratio must be in [0, 1], got nan");
  // get_int_in checks the schema's range before its own.
  host.config["ttl_ms"] = std::int64_t{0};
  CHECK(refusal([&] { return config.get_int_in("ttl_ms", 0, 10); }) == "ttl_ms must be in 1..3600000, got 0");
  // Keys with no range in their schema, and a Config without a descriptor, take any value.
  host.config["legacy"] = std::int64_t{-42};
  CHECK(config.get_int("legacy") == -42);
  host.config["legacy_ratio"] = -3.5;
  CHECK(config.get_float("legacy_ratio") == -3.5);
  host.config["ttl_ms"] = std::int64_t{-5};
  const butter::Config bare(&core);
  CHECK(bare.get_int("ttl_ms") == -5);
}
