// TestNode: a real node in this process, composed from manifest text, on loopback with free
// ports; started on construction (the test fails if it cannot be) and stopped on destruction.
// Header-only so that support code does not pull the whole host into unit tests.
#pragma once
#include "node/node.hpp"
#include "node/runtime.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <memory>
#include <random>
#include <span>
#include <string>

namespace butter::test {

// "[node]" for a loopback node with free ports, followed by `plugins` (TOML tables).
inline std::string loopback_manifest(const std::string& name, const std::string& plugins = "",
                                     const std::string& extra_node_keys = "") {
  return "[node]\nname = \"" + name + "\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"127.0.0.1:0\"\n" +
         extra_node_keys + "\n" + plugins;
}

// A plugin table for the test plugin file `file` (built into BUTTER_TEST_PLUGIN_DIR).
inline std::string test_plugin_table(const std::string& instance, const std::string& file,
                                     const std::string& config = "") {
  std::string t = "[plugins." + instance + "]\nfile = \"" + std::string(BUTTER_TEST_PLUGIN_DIR) + "/" + file + "\"\n";
  if (!config.empty()) t += "[plugins." + instance + ".config]\n" + config + "\n";
  return t;
}

// A UDP port for one test's discovery multicast group: random in [20000, 40000), so that tests
// running at once (ctest -j) rarely share a group; a shared one only adds strangers to discover.
inline std::uint16_t random_multicast_port() {
  std::random_device rd;
  return static_cast<std::uint16_t>(20000 + rd() % 20000);
}

// n bytes of seeded pseudo-random text (any byte value): the same seed gives the same body.
inline std::string random_body(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// A plugin table for a standard plugin or example, by id.
inline std::string plugin_table(const std::string& instance, const std::string& id, const std::string& config = "") {
  std::string t = "[plugins." + instance + "]\nplugin = \"" + id + "\"\n";
  if (!config.empty()) t += "[plugins." + instance + ".config]\n" + config + "\n";
  return t;
}

class TestNode {
 public:
  TestNode(host::Runtime& rt, host::PluginRegistry& registry, const std::string& manifest_text) {
    host::Diagnostics diags;
    auto m = host::parse_manifest(manifest_text, "<test manifest>", diags);
    INFO(diags.to_string());
    REQUIRE(m);
    m->node.plugin_path.push_back(BUTTER_PLUGIN_DIR);
    node_ = std::make_unique<host::Node>(rt.io(), *m, registry);
    bool prepared = node_->prepare(diags);
    INFO(diags.to_string());
    REQUIRE(prepared);
    auto err = node_->start();
    INFO(err.message);
    REQUIRE_FALSE(err);
  }
  ~TestNode() {
    if (node_) node_->stop();
  }

  host::Node& node() { return *node_; }
  host::Node* operator->() { return node_.get(); }
  std::string endpoint() {
    auto eps = node_->listen_endpoints();
    return eps.empty() ? std::string() : eps.front();
  }
  // A counter of a plugin instance, read on the node's strand.
  std::uint64_t counter(const std::string& instance, const std::string& name) {
    return node_->on_strand([&] { return node_->core()->metrics.counter(instance, name); });
  }
  std::string plugin_state(const std::string& instance) {
    auto status = node_->status();
    for (const auto& p : status["plugins"]) {
      if (p["instance"] == instance) return p["state"].get<std::string>();
    }
    return "absent";
  }

 private:
  std::unique_ptr<host::Node> node_;
};

// The outcome of a request sent with request_from().
struct Answer {
  std::int32_t status = 1;
  std::string payload;
};

// Sends a request from `from`'s transport (on its strand) to `peer` (URI or node id) and waits
// for the answer, or for the deadline plus a margin (then the test fails).
inline Answer request_from(TestNode& from, const std::string& peer, const std::string& protocol,
                           const std::string& payload, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto result = std::make_shared<std::promise<Answer>>();
  auto fut = result->get_future();
  from->on_strand([&] {
    auto e = from->core()->transport->request(
        peer, protocol,
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()), timeout,
        [result](std::int32_t status, const host::NodeId&, std::span<const std::uint8_t> body) {
          result->set_value(Answer{status, std::string(body.begin(), body.end())});
        });
    if (e) result->set_value(Answer{e.code, e.message});
    return 0;
  });
  REQUIRE(fut.wait_for(timeout + std::chrono::seconds(2)) == std::future_status::ready);
  return fut.get();
}

}  // namespace butter::test
