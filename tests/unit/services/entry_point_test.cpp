// services/entry_point.hpp: what a service entry point answers before and around its body — an
// unknown host handle, a call off the node's thread, an inactive instance, invalid arguments, and
// an exception thrown by the body, which must never leave through the C ABI.
#include "services/entry_point.hpp"

#include "inactive_instance.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <new>
#include <stdexcept>
#include <string>

using namespace butter::host;

using butter::host::test::InactiveInstance;
using butter::host::test::kNoInstance;

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

TEST_CASE("entry point: Caller::AnyThreadActive serves an active caller from any thread, refuses an inactive one") {
  InactiveInstance node;
  const butter_host* host = node.host();
  bool ran = false;
  auto body = [&](PluginInstance&) {
    ran = true;
    return BUTTER_OK;
  };
  // From this thread, not the node's: not refused for the thread, for the instance's state.
  const auto before = node.inst->off_thread_calls();
  CHECK(guarded<Caller::AnyThreadActive>(host, "probe.post", BUTTER_E_NOMEM, body) == BUTTER_E_UNAVAILABLE);
  CHECK(guarded<Caller::AnyThreadActive>(host, "probe.post", false, BUTTER_E_NOMEM, body) == BUTTER_E_INVALID);
  CHECK(guarded<Caller::AnyThreadActive>(&kNoInstance, "probe.post", BUTTER_E_NOMEM, body) == BUTTER_E_INVALID);
  CHECK(guarded_value<Caller::AnyThreadActive>(host, "probe.value", 7, [&](PluginInstance&) {
          ran = true;
          return 1;
        }) == 7);
  CHECK_FALSE(ran);
  CHECK(node.inst->off_thread_calls() == before);
}

TEST_CASE("entry point: Refusals state an entry point's own answers for a missing or inactive caller") {
  InactiveInstance node;
  const butter_host* host = node.host();
  bool ran = false;
  auto body = [&](PluginInstance&) {
    ran = true;
    return BUTTER_OK;
  };
  // Two statuses no default gives, to show which refusal answered.
  const Refusals marked{.no_caller = BUTTER_E_NOT_FOUND, .inactive = BUTTER_E_AGAIN};
  SECTION("a Transport caller: a bad handle or a foreign thread is no_caller, an inactive one inactive") {
    CHECK(guarded<Caller::Transport>(&kNoInstance, "probe.peer", true, marked, BUTTER_E_INTERNAL, body) ==
          BUTTER_E_NOT_FOUND);
    const auto before = node.inst->off_thread_calls();
    CHECK(guarded<Caller::Transport>(host, "probe.peer", true, marked, BUTTER_E_INTERNAL, body) == BUTTER_E_NOT_FOUND);
    CHECK(node.inst->off_thread_calls() == before + 1);
    CHECK(node.on_strand([&] {
      return guarded<Caller::Transport>(host, "probe.peer", true, marked, BUTTER_E_INTERNAL, body);
    }) == BUTTER_E_AGAIN);
    // The caller's refusal comes before the arguments', as Transport entry points always did.
    CHECK(node.on_strand([&] {
      return guarded<Caller::Transport>(host, "probe.peer", false, marked, BUTTER_E_INTERNAL, body);
    }) == BUTTER_E_AGAIN);
  }
  SECTION("an Active caller: the arguments first, then the caller's state") {
    CHECK(guarded<Caller::Active>(&kNoInstance, "probe.active", false, marked, BUTTER_E_INTERNAL, body) ==
          BUTTER_E_INVALID);
    CHECK(guarded<Caller::Active>(&kNoInstance, "probe.active", true, marked, BUTTER_E_INTERNAL, body) ==
          BUTTER_E_NOT_FOUND);
    CHECK(node.on_strand([&] {
      return guarded<Caller::Active>(host, "probe.active", true, marked, BUTTER_E_INTERNAL, body);
    }) == BUTTER_E_AGAIN);
  }
  SECTION("an AnyThread caller: only a missing instance is refused") {
    CHECK(guarded<Caller::AnyThread>(nullptr, "probe.sign", true, Refusals{.no_caller = BUTTER_E_UNAVAILABLE},
                                     BUTTER_E_NOMEM, body) == BUTTER_E_UNAVAILABLE);
    CHECK(guarded<Caller::AnyThread>(nullptr, "probe.sign", false, Refusals{.no_caller = BUTTER_E_UNAVAILABLE},
                                     BUTTER_E_NOMEM, body) == BUTTER_E_INVALID);
    CHECK_FALSE(ran);
    CHECK(guarded<Caller::AnyThread>(host, "probe.sign", true, Refusals{.no_caller = BUTTER_E_UNAVAILABLE},
                                     BUTTER_E_NOMEM, body) == BUTTER_OK);
    CHECK(ran);
    ran = false;
  }
  SECTION("a throw is on_exception whatever the refusals") {
    CHECK(guarded<Caller::AnyThread>(host, "probe.sign", true, marked, BUTTER_E_NOMEM,
                                     [](PluginInstance&) -> butter_status { throw std::bad_alloc(); }) ==
          BUTTER_E_NOMEM);
  }
  CHECK_FALSE(ran);
}

TEST_CASE("entry point: guarded_pure answers the body's status, or on_exception when it throws") {
  CHECK(guarded_pure(BUTTER_E_INVALID, [] { return BUTTER_OK; }) == BUTTER_OK);
  CHECK(guarded_pure(BUTTER_E_INVALID, [] { return BUTTER_E_NOT_FOUND; }) == BUTTER_E_NOT_FOUND);
  CHECK(guarded_pure(BUTTER_E_INVALID, []() -> butter_status { throw std::bad_alloc(); }) == BUTTER_E_INVALID);
  CHECK(guarded_pure(BUTTER_E_INTERNAL, []() -> butter_status { throw 42; }) == BUTTER_E_INTERNAL);
}

namespace {

// A butter_error as a plugin hands it: sized, with a message that must be replaced.
butter_error fresh_error() {
  butter_error err;
  butter_error_init(&err);
  std::snprintf(err.message, sizeof err.message, "%s", "stale");
  return err;
}

}  // namespace

TEST_CASE("entry point reporting: a refusal fills butter_error with why") {
  InactiveInstance node;
  const butter_host* host = node.host();
  bool ran = false;
  auto body = [&](PluginInstance&) {
    ran = true;
    return BUTTER_OK;
  };
  butter_error err = fresh_error();
  SECTION("an unknown handle, said so unless the entry point has its own message") {
    CHECK(guarded_reporting<Caller::Active>(&kNoInstance, "probe.open", &err, BUTTER_E_INTERNAL, body) ==
          BUTTER_E_INVALID);
    CHECK(err.code == BUTTER_E_INVALID);
    CHECK(std::string(err.message) == "unknown host handle");
    CHECK(guarded_reporting<Caller::Active>(nullptr, "probe.open", &err, true, "missing callback or options",
                                            BUTTER_E_INTERNAL, body) == BUTTER_E_INVALID);
    CHECK(std::string(err.message) == "missing callback or options");
  }
  SECTION("a call off the node's thread") {
    const auto before = node.inst->off_thread_calls();
    CHECK(guarded_reporting<Caller::NodeThread>(host, "probe.open", &err, BUTTER_E_INTERNAL, body) == BUTTER_E_INVALID);
    CHECK(std::string(err.message) == "called from a thread that is not the node's");
    CHECK(node.inst->off_thread_calls() == before + 1);
  }
  SECTION("an inactive instance; invalid arguments before it, with the entry point's message") {
    CHECK(node.on_strand([&] {
      return guarded_reporting<Caller::Active>(host, "probe.open", &err, BUTTER_E_INTERNAL, body);
    }) == BUTTER_E_UNAVAILABLE);
    CHECK(err.code == BUTTER_E_UNAVAILABLE);
    CHECK(std::string(err.message) == "the instance is not active");
    CHECK(node.on_strand([&] {
      return guarded_reporting<Caller::Active>(host, "probe.open", &err, false, "bad descriptor, events or callback",
                                               BUTTER_E_INTERNAL, body);
    }) == BUTTER_E_INVALID);
    CHECK(std::string(err.message) == "bad descriptor, events or callback");
    CHECK(node.on_strand([&] {
      return guarded_reporting<Caller::Active>(host, "probe.open", &err, false, nullptr, BUTTER_E_INTERNAL, body);
    }) == BUTTER_E_INVALID);
    CHECK(std::string(err.message) == "invalid arguments");
  }
  SECTION("a transport caller on a node without transport: unavailable, as net's own calls say") {
    CHECK(node.on_strand([&] {
      return guarded_reporting<Caller::Transport>(host, "probe.send", &err, BUTTER_E_INTERNAL, body);
    }) == BUTTER_E_UNAVAILABLE);
    CHECK(std::string(err.message) == "the instance is not active");
  }
  SECTION("no butter_error, or one too small to hold the answer: the status alone") {
    CHECK(guarded_reporting<Caller::Active>(&kNoInstance, "probe.open", nullptr, BUTTER_E_INTERNAL, body) ==
          BUTTER_E_INVALID);
    err.struct_size = sizeof(butter_error) - 1;
    CHECK(guarded_reporting<Caller::Active>(&kNoInstance, "probe.open", &err, BUTTER_E_INTERNAL, body) ==
          BUTTER_E_INVALID);
    CHECK(err.code == BUTTER_OK);
    CHECK(std::string(err.message) == "stale");
  }
  CHECK_FALSE(ran);
}

TEST_CASE("entry point reporting: a throw becomes the entry point's status, with where and why in butter_error") {
  InactiveInstance node;
  const butter_host* host = node.host();
  butter_error err = fresh_error();
  auto call = [&](auto thrower) {
    return node.on_strand([&] {
      return guarded_reporting<Caller::NodeThread>(host, "probe.open", &err, BUTTER_E_INTERNAL,
                                                   [&](PluginInstance&) -> butter_status {
                                                     thrower();
                                                     return BUTTER_OK;
                                                   });
    });
  };
  CHECK(call([] { throw std::runtime_error("the socket broke"); }) == BUTTER_E_INTERNAL);
  CHECK(err.code == BUTTER_E_INTERNAL);
  CHECK(std::string(err.message) == "probe.open: the socket broke");
  CHECK(call([] { throw std::bad_alloc(); }) == BUTTER_E_INTERNAL);
  CHECK(std::string(err.message) == "probe.open: " + std::string(std::bad_alloc().what()));
  // Not a std::exception: caught all the same.
  CHECK(call([] { throw 42; }) == BUTTER_E_INTERNAL);
  CHECK(std::string(err.message) == "probe.open: unknown exception");
  // Longer than butter_error holds: cut, still terminated.
  CHECK(call([] { throw std::runtime_error(std::string(2 * BUTTER_ERROR_MESSAGE_SIZE, 'x')); }) == BUTTER_E_INTERNAL);
  CHECK(std::string(err.message).size() == BUTTER_ERROR_MESSAGE_SIZE - 1);
  CHECK(std::string(err.message).rfind("probe.open: xxx", 0) == 0);
  // The status of the entry point's choosing.
  CHECK(node.on_strand([&] {
    return guarded_reporting<Caller::NodeThread>(host, "probe.alloc", &err, BUTTER_E_NOMEM,
                                                 [](PluginInstance&) -> butter_status { throw std::bad_alloc(); });
  }) == BUTTER_E_NOMEM);
  CHECK(err.code == BUTTER_E_NOMEM);
}

TEST_CASE("entry point reporting: the body's own answer and message are left as the body set them") {
  InactiveInstance node;
  const butter_host* host = node.host();
  butter_error err = fresh_error();
  CHECK(node.on_strand([&] {
    return guarded_reporting<Caller::NodeThread>(host, "probe.open", &err, BUTTER_E_INTERNAL, [&](PluginInstance&) {
      return butter_error_set(&err, BUTTER_E_INVALID, "bad bind address 'nowhere'");
    });
  }) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "bad bind address 'nowhere'");
  butter_error untouched = fresh_error();
  CHECK(node.on_strand([&] {
    return guarded_reporting<Caller::NodeThread>(host, "probe.open", &untouched, BUTTER_E_INTERNAL,
                                                 [](PluginInstance&) { return BUTTER_OK; });
  }) == BUTTER_OK);
  CHECK(untouched.code == BUTTER_OK);
  CHECK(std::string(untouched.message) == "stale");
}
