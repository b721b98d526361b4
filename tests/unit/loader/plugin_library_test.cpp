// PluginLibrary::load: what a good file yields, and every refusal with its reason.
#include "loader/plugin_library.hpp"
#include "test_plugins.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <exception>

using namespace butter::host;
using butter::test::test_plugin;

namespace {

// Loads `name` expecting a refusal; returns the error.
Error refusal(const std::string& name) {
  Error err;
  auto lib = PluginLibrary::load(test_plugin(name), err);
  REQUIRE(lib == nullptr);
  REQUIRE(err);
  INFO(err.message);
  CHECK(err.message.rfind(test_plugin(name) + ": ", 0) == 0);  // the message starts with the path
  return err;
}

}  // namespace

TEST_CASE("tp-minimal loads and its descriptor is read") {
  Error err;
  auto lib = PluginLibrary::load(test_plugin("tp-minimal"), err);
  INFO(err.message);
  REQUIRE(lib);
  CHECK_FALSE(err);
  CHECK(lib->path() == test_plugin("tp-minimal"));
  CHECK(lib->abi().major == 1);
  CHECK(lib->abi().minor == BUTTER_ABI_MINOR);
  REQUIRE(lib->factory() != nullptr);
  REQUIRE(lib->plugins().size() == 1);

  const PluginInfo& p = lib->plugins()[0];
  CHECK(p.id == "test.minimal");
  CHECK(p.name == "Minimal test plugin");
  CHECK(p.vendor == "Butter tests");
  CHECK(p.version == "1.2.3");
  CHECK(p.description == "Does nothing, correctly.");
  CHECK(p.abi.major == BUTTER_ABI_MAJOR);
  CHECK(p.provides == std::vector<std::string>{"test.minimal/1"});
  CHECK(p.required.empty());
  CHECK(p.optional.empty());
  REQUIRE(p.config_schema.size() == 2);
  CHECK(p.config_schema[0].key == "greeting");
  CHECK(p.config_schema[0].type == ConfigType::String);
  CHECK(p.config_schema[0].required);
  CHECK(p.config_schema[0].description == "What to say");
  CHECK(p.config_schema[1].key == "interval_ms");
  CHECK(p.config_schema[1].type == ConfigType::Integer);
  CHECK_FALSE(p.config_schema[1].required);
  REQUIRE(p.raw != nullptr);
  CHECK(std::string(p.raw->id) == "test.minimal");

  CHECK(lib->find("test.minimal") == &p);
  CHECK(lib->find("test.other") == nullptr);
}

TEST_CASE("the factory of a loaded library creates working instances") {
  Error err;
  auto lib = PluginLibrary::load(test_plugin("tp-minimal"), err);
  REQUIRE(lib);
  const butter_plugin_factory* f = lib->factory();
  butter_host host{};
  host.struct_size = sizeof host;
  const butter_plugin* p = f->create(f, &host, "test.minimal");
  REQUIRE(p != nullptr);
  CHECK(p->desc == lib->plugins()[0].raw);
  butter_error e;
  butter_error_init(&e);
  CHECK(p->init(p, &e) == BUTTER_OK);
  CHECK(p->start(p, &e) == BUTTER_OK);
  p->stop(p);
  p->destroy(p);
}

TEST_CASE("a file offering two plugins yields both descriptors") {
  Error err;
  auto lib = PluginLibrary::load(test_plugin("tp-multi"), err);
  INFO(err.message);
  REQUIRE(lib);
  REQUIRE(lib->plugins().size() == 2);
  const PluginInfo* a = lib->find("test.multi.a");
  const PluginInfo* b = lib->find("test.multi.b");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->version == "0.1.0");
  CHECK(a->provides == std::vector<std::string>{"test.multi.a/1"});
  CHECK(a->required.empty());
  CHECK(a->config_schema.empty());
  CHECK(b->version == "0.2.0");
  CHECK(b->provides == std::vector<std::string>{"test.multi.b/1"});
  CHECK(b->required == std::vector<std::string>{"test.multi.a/1"});
  CHECK(b->optional == std::vector<std::string>{"test.other/1"});
  REQUIRE(b->config_schema.size() == 3);
  CHECK(b->config_schema[0].type == ConfigType::StringArray);
  CHECK(b->config_schema[1].type == ConfigType::Float);
  CHECK(b->config_schema[1].description.empty());  // NULL description
  CHECK(b->config_schema[2].type == ConfigType::Boolean);
  CHECK(b->config_schema[2].required);

  const butter_plugin_factory* f = lib->factory();
  butter_host host{};
  const butter_plugin* pb = f->create(f, &host, "test.multi.b");
  REQUIRE(pb);
  CHECK(pb->desc == b->raw);
  pb->destroy(pb);
  CHECK(f->create(f, &host, "test.multi.c") == nullptr);
}

TEST_CASE("a missing file is refused as not found") {
  Error err;
  auto lib = PluginLibrary::load(test_plugin("tp-does-not-exist"), err);
  CHECK(lib == nullptr);
  CHECK(err.code == BUTTER_E_NOT_FOUND);
  CHECK_THAT(err.message, Catch::Contains("no such file"));
}

TEST_CASE("a text file is refused as not a shared object") {
  Error err = refusal("tp-not-elf");
  CHECK(err.code == BUTTER_E_INVALID);
  CHECK_THAT(err.message, Catch::Contains("not a shared object"));
}

TEST_CASE("a truncated plugin is refused before dlopen") {
  Error err = refusal("tp-truncated");
  CHECK(err.code == BUTTER_E_INVALID);
  CHECK_THAT(err.message, Catch::Contains("truncated"));
  CHECK_THAT(err.message, Catch::Contains("4096 bytes"));
}

TEST_CASE("a shared object without butter_entry is refused before its code runs") {
  // tp-no-entry's constructor aborts: reaching dlopen would crash this test.
  Error err = refusal("tp-no-entry");
  CHECK(err.code == BUTTER_E_INVALID);
  CHECK_THAT(err.message, Catch::Contains("not a Butter plugin"));
  CHECK_THAT(err.message, Catch::Contains("butter_entry"));
}

TEST_CASE("an unresolved symbol fails the load with dlerror naming it") {
  Error err = refusal("tp-unresolved");
  CHECK(err.code == BUTTER_E_INVALID);
  CHECK_THAT(err.message, Catch::Contains("cannot load"));
  CHECK_THAT(err.message, Catch::Contains("undefined symbol"));
  CHECK_THAT(err.message, Catch::Contains("butter_test_symbol_nobody_defines"));
  CHECK(err.message.find("tp-unresolved.so", err.message.find("cannot load")) == std::string::npos);  // path once
}

TEST_CASE("another ABI major is refused without calling the plugin") {
  // Every entry function of tp-wrong-abi aborts.
  Error err = refusal("tp-wrong-abi");
  CHECK(err.code == BUTTER_E_UNSUPPORTED);
  CHECK_THAT(err.message, Catch::Contains("built for Butter ABI 2.0.0; this host speaks 1.x"));
}

TEST_CASE("init returning 0 is refused and deinit is not called") {
  // tp-init-fails' deinit and get_factory abort.
  Error err = refusal("tp-init-fails");
  CHECK(err.code == BUTTER_E_INTERNAL);
  CHECK_THAT(err.message, Catch::Contains("init failed"));
}

TEST_CASE("a plugin without a factory is refused and deinit still runs") {
  butter::test::TempDir dir("no-factory");
  const std::string trace = dir.str() + "/trace";
  ::setenv("BUTTER_TP_TRACE", trace.c_str(), 1);
  Error err = refusal("tp-no-factory");
  ::unsetenv("BUTTER_TP_TRACE");
  CHECK(err.code == BUTTER_E_UNSUPPORTED);
  CHECK_THAT(err.message, Catch::Contains("no plugin factory"));
  CHECK(butter::test::read_file(trace) == "init\ndeinit\n");
  CHECK_FALSE(PluginLibrary::is_resident(test_plugin("tp-no-factory")));
}

TEST_CASE("a plugin with an invalid descriptor id is refused naming it") {
  Error err = refusal("tp-bad-descriptor");
  CHECK(err.code == BUTTER_E_INVALID);
  CHECK_THAT(err.message, Catch::Contains("'bad id!'"));
  CHECK_THAT(err.message, Catch::Contains("not a valid plugin id"));
}

TEST_CASE("a config schema that contradicts itself refuses the plugin, naming the key") {
  Error err = refusal("tp-bad-schema");
  CHECK(err.code == BUTTER_E_INVALID);
  CHECK_THAT(err.message, Catch::Contains("test.config-ranges"));
  CHECK_THAT(err.message, Catch::Contains("config key 'ttl_ms': the minimum 3600000 is above the maximum 1"));
}

TEST_CASE("deinit runs once and the file is unloaded when the last reference goes") {
  butter::test::TempDir dir("unload");
  const std::string trace = dir.str() + "/trace";
  const std::string path = test_plugin("tp-minimal");
  ::setenv("BUTTER_TP_TRACE", trace.c_str(), 1);
  REQUIRE_FALSE(PluginLibrary::is_resident(path));
  {
    Error err;
    auto lib = PluginLibrary::load(path, err);
    REQUIRE(lib);
    auto second = lib;
    CHECK(PluginLibrary::is_resident(path));
    CHECK(butter::test::read_file(trace) == "init\n");
    lib.reset();
    CHECK(PluginLibrary::is_resident(path));  // `second` still holds it
    CHECK(butter::test::read_file(trace) == "init\n");
  }
  ::unsetenv("BUTTER_TP_TRACE");
  CHECK(butter::test::read_file(trace) == "init\ndeinit\n");
  CHECK_FALSE(PluginLibrary::is_resident(path));
  // is_resident never loads anything itself.
  CHECK_FALSE(PluginLibrary::is_resident(path));
}

TEST_CASE("is_resident is false for files that are not loaded or do not exist") {
  CHECK_FALSE(PluginLibrary::is_resident(test_plugin("tp-multi")));
  CHECK_FALSE(PluginLibrary::is_resident(test_plugin("tp-does-not-exist")));
  CHECK_FALSE(PluginLibrary::is_resident(test_plugin("tp-not-elf")));
}

TEST_CASE("a C++ exception thrown by a plugin through the C ABI can be caught by the host") {
  Error err;
  auto lib = PluginLibrary::load(test_plugin("tp-throwing"), err);
  INFO(err.message);
  REQUIRE(lib);
  REQUIRE(lib->find("test.throwing"));
  const butter_plugin_factory* f = lib->factory();
  butter_host host{};
  const butter_plugin* p = f->create(f, &host, "test.throwing");
  REQUIRE(p);
  butter_error e;
  butter_error_init(&e);
  CHECK(p->init(p, &e) == BUTTER_OK);
  std::string what;
  try {
    p->start(p, &e);
  } catch (const std::exception& ex) {
    what = ex.what();
  } catch (...) {
    what = "?";
  }
  CHECK_THAT(what, Catch::Contains("start throws through the C ABI"));
  p->destroy(p);
}

TEST_CASE("tp-failing-start loads and its start fails with a message") {
  Error err;
  auto lib = PluginLibrary::load(test_plugin("tp-failing-start"), err);
  REQUIRE(lib);
  const butter_plugin_factory* f = lib->factory();
  butter_host host{};
  const butter_plugin* p = f->create(f, &host, "test.failing-start");
  REQUIRE(p);
  butter_error e;
  butter_error_init(&e);
  CHECK(p->init(p, &e) == BUTTER_OK);
  CHECK(p->start(p, &e) == BUTTER_E_INTERNAL);
  CHECK_THAT(std::string(e.message), Catch::Contains("start fails on purpose"));
  p->destroy(p);
}
