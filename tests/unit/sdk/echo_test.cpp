// The example plugins as built (build/plugins/echo.so and echo-c.so), loaded with dlopen and
// driven through their only export, butter_entry, by the fake host.
#include <butter/butter.h>

#include <catch2/catch.hpp>

#include <butter/testing.hpp>

#include <dlfcn.h>

#include <string>

namespace fake = butter::testing;

namespace {

class Library {
 public:
  explicit Library(const std::string& name) : path_(std::string(BUTTER_PLUGIN_DIR) + "/" + name) {
    handle_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    INFO(path_ << ": " << (handle_ ? "" : dlerror()));
    REQUIRE(handle_ != nullptr);
    entry_ = static_cast<const butter_plugin_entry*>(dlsym(handle_, BUTTER_ENTRY_SYMBOL));
    REQUIRE(entry_ != nullptr);
    REQUIRE(entry_->abi.major == BUTTER_ABI_MAJOR);
    REQUIRE(entry_->init(path_.c_str()) != 0);
    factory_ = static_cast<const butter_plugin_factory*>(entry_->get_factory(BUTTER_PLUGIN_FACTORY_ID));
    REQUIRE(factory_ != nullptr);
  }
  ~Library() {
    if (entry_) entry_->deinit();
    if (handle_) dlclose(handle_);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  const butter_plugin_factory* factory() const { return factory_; }

 private:
  std::string path_;
  void* handle_ = nullptr;
  const butter_plugin_entry* entry_ = nullptr;
  const butter_plugin_factory* factory_ = nullptr;
};

std::string stats(fake::Host& host) {
  const auto* r = host.response_for(host.call("GET", "/echo/stats"));
  REQUIRE(r != nullptr);
  CHECK(r->status == 200);
  CHECK(r->content_type == "application/json");
  return r->body;
}

std::string save(const fake::Instance& i) {
  const auto* state = static_cast<const butter_state_v1*>(i.extension(BUTTER_EXT_STATE));
  REQUIRE(state != nullptr);
  fake::OutStream out;
  REQUIRE(state->save(i.p, &out.c) == BUTTER_OK);
  return out.data;
}

butter_status load(fake::Instance& i, const std::string& data) {
  const auto* state = static_cast<const butter_state_v1*>(i.extension(BUTTER_EXT_STATE));
  REQUIRE(state != nullptr);
  fake::InStream in(data);
  return state->load(i.p, &in.c, &i.err);
}

}  // namespace

TEST_CASE("echo describes itself and its config", "[sdk][echo]") {
  Library lib("echo.so");
  const auto* f = lib.factory();
  REQUIRE(f->count(f) == 1);
  const auto* d = f->get_descriptor(f, 0);
  REQUIRE(d != nullptr);
  CHECK(std::string(d->id) == "butter.example.echo");
  REQUIRE(d->config_schema_len == 3);
  CHECK(std::string(d->config_schema[0].key) == "greeting");
  CHECK(std::string(d->config_schema[1].key) == "target");
  CHECK(std::string(d->config_schema[2].key) == "interval_ms");
  CHECK(d->config_schema[2].type == BUTTER_CONFIG_INT);
}

TEST_CASE("echo answers with the greeting and counts", "[sdk][echo]") {
  Library lib("echo.so");
  fake::Host host;
  host.config["greeting"] = std::string("hi ");
  fake::Instance i(lib.factory(), host, "butter.example.echo");
  REQUIRE(i.p != nullptr);
  REQUIRE(i.init() == BUTTER_OK);
  REQUIRE(i.start() == BUTTER_OK);
  CHECK(host.timers.empty());  // no target: no pings

  const auto* r = host.reply_for(host.deliver("/butter/echo/1", "there"));
  REQUIRE(r != nullptr);
  CHECK(r->status == BUTTER_OK);
  CHECK(r->payload == "hi there");
  host.deliver("/butter/echo-note/1", "note", false);
  CHECK(host.counters["echo_served_total"] == 1);
  CHECK(host.counters["echo_notes_total"] == 1);
  CHECK(stats(host) == "{\"served\":1,\"replies\":0,\"failures\":0,\"notes\":1}");
  CHECK(save(i) == "echo-state/1 1 0");
}

TEST_CASE("echo pings its target and counts replies and failures", "[sdk][echo]") {
  Library lib("echo.so");
  fake::Host host;
  host.config["target"] = std::string("tcp://127.0.0.1:7001");
  host.config["interval_ms"] = std::int64_t{250};
  fake::Instance i(lib.factory(), host, "butter.example.echo");
  REQUIRE(i.init() == BUTTER_OK);
  REQUIRE(i.start() == BUTTER_OK);
  const auto tick = host.only_timer();
  REQUIRE(tick != 0);
  CHECK(host.timers[tick].period == 250);

  host.fire(tick);
  REQUIRE(host.requests.size() == 1);
  CHECK(host.requests[0].peer == "tcp://127.0.0.1:7001");
  CHECK(host.requests[0].protocol == "/butter/echo/1");
  CHECK(host.requests[0].timeout_ms == 250);
  host.complete(BUTTER_OK, "ping");
  host.fire(tick);
  host.complete(BUTTER_E_TIMEOUT, "");
  host.request_result = BUTTER_E_AGAIN;
  host.fire(tick);  // refused at once
  CHECK(host.counters["echo_replies_total"] == 1);
  CHECK(host.counters["echo_failures_total"] == 2);
  CHECK(stats(host) == "{\"served\":0,\"replies\":1,\"failures\":2,\"notes\":0}");

  i.stop();
  CHECK(host.timers.empty());
}

TEST_CASE("echo carries its counters across a swap and refuses foreign state", "[sdk][echo]") {
  Library lib("echo.so");
  fake::Host old_host;
  fake::Instance old_i(lib.factory(), old_host, "butter.example.echo");
  REQUIRE(old_i.init() == BUTTER_OK);
  REQUIRE(old_i.start() == BUTTER_OK);
  old_host.deliver("/butter/echo/1", "a");
  old_host.deliver("/butter/echo/1", "b");
  old_i.stop();
  const std::string state = save(old_i);
  CHECK(state == "echo-state/1 2 0");

  fake::Host host;
  fake::Instance i(lib.factory(), host, "butter.example.echo");
  REQUIRE(i.init() == BUTTER_OK);
  SECTION("its own state loads") {
    REQUIRE(load(i, state) == BUTTER_OK);
    REQUIRE(i.start() == BUTTER_OK);
    CHECK(stats(host) == "{\"served\":2,\"replies\":0,\"failures\":0,\"notes\":0}");
  }
  SECTION("another schema is refused") {
    CHECK(load(i, "echo-state/2 1 1") == BUTTER_E_INVALID);
    CHECK(std::string(i.err.message) == "not an echo-state/1 state");
    CHECK(load(i, "echo-state/1 1 x") == BUTTER_E_INVALID);
    CHECK(load(i, "echo-state/1 1 2 3") == BUTTER_E_INVALID);
    CHECK(load(i, "") == BUTTER_E_INVALID);
  }
}

TEST_CASE("echo refuses a non-positive interval", "[sdk][echo]") {
  Library lib("echo.so");
  fake::Host host;
  host.config["interval_ms"] = std::int64_t{0};
  fake::Instance i(lib.factory(), host, "butter.example.echo");
  CHECK(i.init() == BUTTER_E_INVALID);
  CHECK(std::string(i.err.message) == "interval_ms must be in 1..3600000, got 0");
}

TEST_CASE("echo-c answers on its configurable protocol", "[sdk][echo-c]") {
  Library lib("echo-c.so");
  const auto* f = lib.factory();
  REQUIRE(f->count(f) == 1);
  CHECK(std::string(f->get_descriptor(f, 0)->id) == "butter.example.echo-c");
  fake::Host host;
  host.config["greeting"] = std::string(">> ");
  SECTION("default protocol") {
    fake::Instance i(f, host, "butter.example.echo-c");
    REQUIRE(i.init() == BUTTER_OK);
    REQUIRE(i.start() == BUTTER_OK);
    const auto* r = host.reply_for(host.deliver("/butter/echo-c/1", "x"));
    REQUIRE(r != nullptr);
    CHECK(r->payload == ">> x");
    CHECK(host.counters["echo_c_served_total"] == 1);
    CHECK(i.extension(BUTTER_EXT_STATE) == nullptr);
  }
  SECTION("configured protocol") {
    host.config["protocol"] = std::string("/butter/echo/1");
    fake::Instance i(f, host, "butter.example.echo-c");
    REQUIRE(i.init() == BUTTER_OK);
    const auto* r = host.reply_for(host.deliver("/butter/echo/1", ""));
    REQUIRE(r != nullptr);
    CHECK(r->payload == ">> ");
  }
  SECTION("a taken protocol fails init") {
    host.handlers["/butter/echo-c/1"] = {nullptr, nullptr};
    fake::Instance i(f, host, "butter.example.echo-c");
    CHECK(i.init() == BUTTER_E_INVALID);
  }
}
