// Nodes for the nat-ambassador integration tests: manifests of public and private (non-listening)
// nodes with fast timings, a blocking connect, and GET /nat read as JSON. Shared by the test files
// of this folder (inline: they are built as one unity batch).
#pragma once
#include "support/http_client.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <future>
#include <memory>
#include <string>

namespace butter::test::nat {

// Fast timings so that tests decide in about a second.
inline std::string nat_config(const std::string& extra = "") {
  return "check_fast_ms = 200\ncheck_ms = 2000\ndialback_timeout_ms = 500\nkeepalive_ms = 300\n"
         "request_timeout_ms = 1000\nstatus_ms = 300\n" +
         extra;
}

inline std::string public_manifest(const std::string& name, const std::string& extra = "",
                                   const std::string& node_keys = "") {
  return loopback_manifest(name, plugin_table("nat", "butter.nat.ambassador", nat_config(extra)), node_keys);
}

// A node with no listening endpoint: it can dial out, nobody can dial it.
inline std::string private_manifest(const std::string& name, const std::string& node_keys = "") {
  return "[node]\nname = \"" + name + "\"\nlisten = []\nhttp = \"127.0.0.1:0\"\n" + node_keys + "\n" +
         plugin_table("nat", "butter.nat.ambassador", nat_config());
}

inline void connect(TestNode& from, const std::string& uri) {
  auto done = std::make_shared<std::promise<int>>();
  auto fut = done->get_future();
  from->on_strand([&] {
    from->core()->transport->connect(uri, [done](host::Error e, const host::NodeId&) { done->set_value(e.code); });
    return 0;
  });
  REQUIRE(fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  REQUIRE(fut.get() == BUTTER_OK);
}

inline nlohmann::json nat_report(TestNode& n) {
  auto r = http_get(n->http_url() + "/nat");
  if (r.status != 200) return nlohmann::json::object();
  return nlohmann::json::parse(r.body, nullptr, false);
}

inline std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace butter::test::nat
