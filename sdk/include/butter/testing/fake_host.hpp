// butter/testing/fake_host.hpp — a fake node for a plugin's unit tests: implements butter_host and
// the extensions most plugins use (log, node, config, timer, net, net.reply, net.peer_lookup,
// http, metrics, services, events) with recording tables, and lets the test deliver messages, fire
// timers, complete requests and call routes by hand. Everything runs on the test's thread, which stands
// for the node's executor; a [node] call from any other thread is refused as the node refuses it.
// The fake keeps the node's documented limits (frame and protocol sizes, the events bus, HTTP
// bodies and routing), so that a plugin that passes here does not fail on a node for them.
//
//   butter::testing::Host host;
//   host.config["greeting"] = std::string("hi");
//   butter::testing::Instance echo(&my_factory, host, "echo");
//   REQUIRE(echo.init() == BUTTER_OK);
//   REQUIRE(echo.start() == BUTTER_OK);
//   const auto token = host.deliver("/echo/1", "ping");
//   REQUIRE(host.reply_for(token)->payload == "ping");
//
// Each service lives in its own header (fake_node, fake_config, fake_timers, fake_net, fake_http,
// fake_events, fake_metrics); `disabled` makes the host answer NULL for an extension id, as an
// older host would. What it does not fake (streams, identity, connections, datagrams, fds,
// punching, HTTP/2 routes) answers NULL: test those against a real node.
#pragma once

#include <butter/testing/fake_config.hpp>
#include <butter/testing/fake_core.hpp>
#include <butter/testing/fake_events.hpp>
#include <butter/testing/fake_http.hpp>
#include <butter/testing/fake_metrics.hpp>
#include <butter/testing/fake_net.hpp>
#include <butter/testing/fake_node.hpp>
#include <butter/testing/fake_timers.hpp>

#include <set>
#include <string>
#include <string_view>

namespace butter::testing {

class Host : public FakeCore,
             public FakeNode<Host>,
             public FakeConfig<Host>,
             public FakeTimers<Host>,
             public FakeNet<Host>,
             public FakeHttp<Host>,
             public FakeEvents<Host>,
             public FakeMetrics<Host>,
             public FakeServices<Host> {
 public:
  Host() {
    c.struct_size = sizeof c;
    c.abi = BUTTER_ABI_VERSION_INIT;
    c.name = "fake";
    c.version = "0.0.0";
    c.host_data = this;
    c.get_extension = &Host::get_extension;
    c.post = &Host::post;
  }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const butter_host* host() const { return &c; }
  static Host& of(const butter_host* h) { return *static_cast<Host*>(h->host_data); }

  std::set<std::string> disabled;  // extension ids to answer NULL for
  butter_host c{};

 private:
  static const void* get_extension(const butter_host* h, const char* id) {
    if (!id || of(h).disabled.count(id)) return nullptr;
    const std::string_view s = id;
    for (const void* e : {FakeNode<Host>::extension(s), FakeConfig<Host>::extension(s), FakeTimers<Host>::extension(s),
                          FakeNet<Host>::extension(s), FakeHttp<Host>::extension(s), FakeEvents<Host>::extension(s),
                          FakeMetrics<Host>::extension(s), FakeServices<Host>::extension(s)})
      if (e) return e;
    return nullptr;
  }
  // [any] in the real host (it queues fn on the node's executor); here the test's thread is the
  // executor, so fn runs at once.
  static butter_status post(const butter_host*, void (*fn)(void*), void* user) {
    if (!fn) return BUTTER_E_INVALID;
    fn(user);
    return BUTTER_OK;
  }
};

}  // namespace butter::testing
