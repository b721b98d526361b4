// services/entry_point.hpp: what a service entry point answers before and around its body — an
// unknown host handle, a call off the node's thread, an inactive instance, invalid arguments, and
// an exception thrown by the body, which must never leave through the C ABI.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"

#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>

using namespace butter::host;

namespace {

// A node's state with one instance that never loaded a plugin: known to the host, but not active.
struct InactiveInstance {
  IoContext io;
  std::shared_ptr<NodeCore> core = std::make_shared<NodeCore>(io, Manifest{}, host_service_table());
  std::shared_ptr<PluginInstance> inst = make_instance();

  std::shared_ptr<PluginInstance> make_instance() {
    PluginSpec spec;
    spec.instance = "probe";
    return std::make_shared<PluginInstance>(*core, spec, nullptr, PluginInfo{});
  }
  const butter_host* host() const { return inst->host(); }

  // Runs `f` on the node's strand, as a plugin's callback would, and returns what it returned.
  template <class F>
  auto on_strand(F f) {
    decltype(f()) result{};
    bool ran = false;
    boost::asio::post(core->strand, [&] {
      result = f();
      ran = true;
    });
    io.run();  // returns once the posted function ran: nothing else is queued
    io.restart();
    REQUIRE(ran);
    return result;
  }
};

const butter_host kNoInstance{};  // host_data null: a handle the node never made

}  // namespace

TEST_CASE("entry point: an unknown host handle is refused with BUTTER_E_INVALID and the body never runs") {
  bool ran = false;
  auto body = [&](PluginInstance&) {
    ran = true;
    return BUTTER_OK;
  };
  for (const butter_host* host : {static_cast<const butter_host*>(nullptr), &kNoInstance}) {
    CHECK(guarded<Caller::AnyThread>(host, "probe.any", BUTTER_E_NOMEM, body) == BUTTER_E_INVALID);
    CHECK(guarded<Caller::NodeThread>(host, "probe.node", BUTTER_E_NOMEM, body) == BUTTER_E_INVALID);
    CHECK(guarded<Caller::Active>(host, "probe.active", BUTTER_E_NOMEM, body) == BUTTER_E_INVALID);
    CHECK(guarded<Caller::Transport>(host, "probe.transport", BUTTER_E_INTERNAL, body) == BUTTER_E_INVALID);
    CHECK(guarded_value<Caller::NodeThread>(host, "probe.value", 7, [&](PluginInstance&) {
            ran = true;
            return 1;
          }) == 7);
    guarded_void<Caller::NodeThread>(host, "probe.void", [&](PluginInstance&) { ran = true; });
  }
  CHECK_FALSE(ran);
}

TEST_CASE("entry point: an exception thrown by the body becomes the entry point's status, never a throw") {
  InactiveInstance node;
  const butter_host* host = node.host();
  // On the node's thread: a [node] body runs (an inactive instance may still call NodeThread ones).
  CHECK(node.on_strand([&] {
    return guarded<Caller::NodeThread>(host, "probe.nomem", BUTTER_E_NOMEM,
                                       [](PluginInstance&) -> butter_status { throw std::bad_alloc(); });
  }) == BUTTER_E_NOMEM);
  CHECK(node.on_strand([&] {
    return guarded<Caller::NodeThread>(host, "probe.internal", BUTTER_E_INTERNAL,
                                       [](PluginInstance&) -> butter_status { throw std::runtime_error("broken"); });
  }) == BUTTER_E_INTERNAL);
  // Not a std::exception: caught all the same.
  CHECK(node.on_strand([&] {
    return guarded<Caller::NodeThread>(host, "probe.int", BUTTER_E_INTERNAL,
                                       [](PluginInstance&) -> butter_status { throw 42; });
  }) == BUTTER_E_INTERNAL);
  CHECK(node.on_strand([&] {
    return guarded_value<Caller::NodeThread>(host, "probe.value", 7,
                                             [](PluginInstance&) -> int { throw std::runtime_error("broken"); });
  }) == 7);
  bool reached = false;
  node.on_strand([&] {
    guarded_void<Caller::NodeThread>(host, "probe.void", [&](PluginInstance&) {
      reached = true;
      throw std::runtime_error("broken");
    });
    return 0;
  });
  CHECK(reached);
  // [any-thread]: from this thread, not the node's.
  CHECK(guarded<Caller::AnyThread>(host, "probe.any", BUTTER_E_NOMEM,
                                   [](PluginInstance&) -> butter_status { throw std::bad_alloc(); }) == BUTTER_E_NOMEM);
  // Without a throw, the body's own status is the answer.
  CHECK(node.on_strand([&] {
    return guarded<Caller::NodeThread>(host, "probe.ok", BUTTER_E_INTERNAL,
                                       [](PluginInstance&) { return BUTTER_E_NOT_FOUND; });
  }) == BUTTER_E_NOT_FOUND);
}

TEST_CASE("entry point: an inactive instance gets BUTTER_E_UNAVAILABLE, invalid arguments BUTTER_E_INVALID first") {
  InactiveInstance node;
  const butter_host* host = node.host();
  REQUIRE_FALSE(node.inst->active());
  bool ran = false;
  auto body = [&](PluginInstance&) {
    ran = true;
    return BUTTER_OK;
  };
  CHECK(node.on_strand([&] { return guarded<Caller::Active>(host, "probe.active", BUTTER_E_NOMEM, body); }) ==
        BUTTER_E_UNAVAILABLE);
  CHECK(node.on_strand([&] { return guarded<Caller::Transport>(host, "probe.transport", BUTTER_E_INTERNAL, body); }) ==
        BUTTER_E_UNAVAILABLE);
  // Arguments checked alongside the caller are refused before the instance's state is looked at
  // (timer.set with no callback answers BUTTER_E_INVALID whether or not the instance is active).
  CHECK(node.on_strand([&] { return guarded<Caller::Active>(host, "probe.args", false, BUTTER_E_NOMEM, body); }) ==
        BUTTER_E_INVALID);
  CHECK(node.on_strand([&] {
    return guarded_value<Caller::Active>(host, "probe.value", 7, [&](PluginInstance&) {
      ran = true;
      return 1;
    });
  }) == 7);
  CHECK_FALSE(ran);
  // A NodeThread entry point serves an inactive caller.
  CHECK(node.on_strand([&] { return guarded<Caller::NodeThread>(host, "probe.node", BUTTER_E_NOMEM, body); }) ==
        BUTTER_OK);
  CHECK(ran);
}

TEST_CASE("entry point: a [node] call from another thread is refused with BUTTER_E_INVALID and counted") {
  InactiveInstance node;
  const butter_host* host = node.host();
  bool ran = false;
  auto body = [&](PluginInstance&) {
    ran = true;
    return BUTTER_OK;
  };
  const auto before = node.inst->off_thread_calls();
  CHECK(guarded<Caller::NodeThread>(host, "probe.node", BUTTER_E_NOMEM, body) == BUTTER_E_INVALID);
  CHECK(guarded<Caller::Active>(host, "probe.active", BUTTER_E_NOMEM, body) == BUTTER_E_INVALID);
  CHECK(guarded<Caller::Transport>(host, "probe.transport", BUTTER_E_INTERNAL, body) == BUTTER_E_INVALID);
  guarded_void<Caller::NodeThread>(host, "probe.void", [&](PluginInstance&) { ran = true; });
  CHECK_FALSE(ran);
  CHECK(node.inst->off_thread_calls() == before + 4);
}
