// The C++ wrapper (butter/plugin.hpp) against the fake host, part 1: the generated entry, factory
// and descriptor, the lifecycle, the exception boundary and config. The plugins under test
// (probe_plugins.hpp) are served here with BUTTER_PLUGINS, so this executable carries a
// `butter_entry` of its own; wrapper_services_test.cpp has the rest.
#include "probe_plugins.hpp"

using namespace butter::test::sdk;

BUTTER_PLUGINS(butter::Entry<Probe>(probe_descriptor()),
               butter::Entry<Failing>(butter::Descriptor{.id = "test.failing", .name = "Failing"}));

TEST_CASE("the entry carries the ABI version and serves only the plugin factory", "[sdk][entry]") {
  CHECK(butter_entry.abi.major == BUTTER_ABI_MAJOR);
  CHECK(butter_entry.abi.minor == BUTTER_ABI_MINOR);
  CHECK(butter_entry.init("/some/path.so") != 0);
  CHECK(butter_entry.get_factory("butter.plugin-factory/2") == nullptr);
  CHECK(butter_entry.get_factory(BUTTER_PLUGIN_FACTORY_ID) == butter_entry.get_factory(BUTTER_PLUGIN_FACTORY_ID));
  butter_entry.deinit();
  butter_entry.deinit();  // idempotent
}

TEST_CASE("the descriptor is generated with NULL-terminated lists and the config schema", "[sdk][entry]") {
  const auto* f = factory();
  REQUIRE(f->count(f) == 2);
  CHECK(f->get_descriptor(f, 2) == nullptr);
  const butter_plugin_descriptor* d = f->get_descriptor(f, 0);
  REQUIRE(d != nullptr);
  CHECK(d->struct_size == sizeof(butter_plugin_descriptor));
  CHECK(d->abi.major == BUTTER_ABI_MAJOR);
  CHECK(std::string(d->id) == "test.probe");
  CHECK(std::string(d->name) == "Probe");
  CHECK(std::string(d->vendor) == "Butter tests");
  CHECK(std::string(d->version) == "0.1.0");
  CHECK(std::string(d->description) == "exercises the wrapper");
  REQUIRE(d->provides != nullptr);
  CHECK(std::string(d->provides[0]) == "test.probe/1");
  CHECK(d->provides[1] == nullptr);
  REQUIRE(d->required != nullptr);
  CHECK(std::string(d->required[0]) == "butter.peers/1");
  CHECK(std::string(d->required[1]) == "test.other/1");
  CHECK(d->required[2] == nullptr);
  REQUIRE(d->optional != nullptr);
  CHECK(d->optional[0] == nullptr);
  REQUIRE(d->config_schema_len == 5);
  CHECK(std::string(d->config_schema[0].key) == "name");
  CHECK(d->config_schema[0].type == BUTTER_CONFIG_STRING);
  CHECK(d->config_schema[0].required == 0);
  CHECK(std::string(d->config_schema[0].description) == "a name");
  CHECK(d->config_schema[1].type == BUTTER_CONFIG_INT);
  CHECK(d->config_schema[1].required == 1);
  CHECK(d->config_schema[1].description == nullptr);
  CHECK(d->config_schema[2].type == BUTTER_CONFIG_FLOAT);
  CHECK(d->config_schema[3].type == BUTTER_CONFIG_BOOL);
  CHECK(d->config_schema[4].type == BUTTER_CONFIG_STRING_ARRAY);

  const butter_plugin_descriptor* d2 = f->get_descriptor(f, 1);
  REQUIRE(d2 != nullptr);
  CHECK(std::string(d2->id) == "test.failing");
  CHECK(std::string(d2->vendor).empty());
  CHECK(d2->provides != nullptr);
  CHECK(d2->provides[0] == nullptr);
  CHECK(d2->config_schema == nullptr);
  CHECK(d2->config_schema_len == 0);
}

TEST_CASE("lifecycle calls reach the C++ object in order", "[sdk][lifecycle]") {
  fake::Host host;
  g_events.clear();
  {
    fake::Instance i(factory(), host, "test.probe");
    REQUIRE(i.p != nullptr);
    CHECK(i.p->desc == factory()->get_descriptor(factory(), 0));
    CHECK(i.p->plugin_data == butter::Plugin::from(i.p));
    REQUIRE(i.init() == BUTTER_OK);
    REQUIRE(i.start() == BUTTER_OK);
    CHECK(host.logged("started anonymous on aaaaaaaa with 1 tags"));
  }
  CHECK(g_events == std::vector<std::string>{"create", "init", "start", "stop", "destroy"});
}

TEST_CASE("create of an unknown id or a throwing constructor returns NULL", "[sdk][lifecycle]") {
  fake::Host host;
  const auto* f = factory();
  CHECK(f->create(f, host.host(), "test.nope") == nullptr);
  CHECK(f->create(f, host.host(), nullptr) == nullptr);
  host.c.name = "refuse-create";
  CHECK(f->create(f, host.host(), "test.failing") == nullptr);
  CHECK(host.logged("create test.failing: constructor refuses"));
}

TEST_CASE("an exception in init becomes an error status with its message", "[sdk][lifecycle]") {
  fake::Host host;
  SECTION("std::exception gives BUTTER_E_INTERNAL") {
    fake::Instance i(factory(), host, "test.failing");
    CHECK(i.init() == BUTTER_E_INTERNAL);
    CHECK(std::string(i.err.message) == "failing always fails");
    CHECK(i.err.code == BUTTER_E_INTERNAL);
    CHECK(host.logged("init: failing always fails"));
  }
  SECTION("butter::Error keeps its code") {
    host.config["fail"] = std::string("init-invalid");
    fake::Instance i(factory(), host, "test.probe");
    CHECK(i.init() == BUTTER_E_INVALID);
    CHECK(std::string(i.err.message) == "bad config");
  }
  SECTION("a NULL error struct is allowed") {
    fake::Instance i(factory(), host, "test.failing");
    CHECK(i.p->init(i.p, nullptr) == BUTTER_E_INTERNAL);
  }
}

TEST_CASE("start and stop exceptions are caught at the boundary", "[sdk][lifecycle]") {
  fake::Host host;
  SECTION("start throwing a non-std exception") {
    host.config["fail"] = std::string("start");
    fake::Instance i(factory(), host, "test.probe");
    REQUIRE(i.init() == BUTTER_OK);
    CHECK(i.start() == BUTTER_E_INTERNAL);
    CHECK(std::string(i.err.message) == "unknown exception");
  }
  SECTION("stop throwing is logged") {
    host.config["fail"] = std::string("stop");
    fake::Instance i(factory(), host, "test.probe");
    REQUIRE(i.init() == BUTTER_OK);
    REQUIRE(i.start() == BUTTER_OK);
    i.stop();
    CHECK(host.logged("stop: stop throws"));
  }
}

TEST_CASE("config getters return values and defaults", "[sdk][config]") {
  fake::Host host;
  SECTION("defaults when absent") {
    fake::Instance i(factory(), host, "test.probe");
    REQUIRE(i.init() == BUTTER_OK);
    CHECK(probe(i).name_ == "anonymous");
    CHECK(probe(i).count_ == 7);
    CHECK(probe(i).ratio_ == 0.5);
    CHECK(probe(i).loud_ == true);
    CHECK(probe(i).tags_ == std::vector<std::string>{"default"});
  }
  SECTION("values when set") {
    host.config["name"] = std::string("zed");
    host.config["count"] = std::int64_t{-3};
    host.config["ratio"] = 2.25;
    host.config["loud"] = false;
    host.config["tags"] = std::vector<std::string>{"a", "b"};
    fake::Instance i(factory(), host, "test.probe");
    REQUIRE(i.init() == BUTTER_OK);
    CHECK(probe(i).name_ == "zed");
    CHECK(probe(i).count_ == -3);
    CHECK(probe(i).ratio_ == 2.25);
    CHECK(probe(i).loud_ == false);
    CHECK(probe(i).tags_ == std::vector<std::string>{"a", "b"});
  }
  SECTION("a wrong type fails init naming the key") {
    host.config["count"] = std::string("seven");
    fake::Instance i(factory(), host, "test.probe");
    CHECK(i.init() == BUTTER_E_INVALID);
    CHECK(std::string(i.err.message) == "config key 'count' is not an integer");
  }
  SECTION("a host without butter.config/1 is an empty table") {
    host.disabled.insert(BUTTER_EXT_CONFIG);
    fake::Instance i(factory(), host, "test.probe");
    REQUIRE(i.init() == BUTTER_OK);
    CHECK(probe(i).count_ == 7);
  }
}
