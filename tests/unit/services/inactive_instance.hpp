// A node's state with one instance that never loaded a plugin: known to the host, but not active.
// Shared by the tests of the services' entry points (what they answer before and around a body).
#pragma once
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/extensions.hpp"

#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <memory>

namespace butter::host::test {

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

// host_data null: a handle the node never made.
inline const butter_host kNoInstance{};

}  // namespace butter::host::test
