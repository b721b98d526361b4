// What the ir-dbfs integration tests share: a node's HTTP answers as JSON.
#pragma once
#include "support/http_client.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace butter::test {

// GET `target` on the node's HTTP API; the test fails unless it answers 200 with JSON.
inline nlohmann::json dbfs_get_json(TestNode& n, const std::string& target,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  auto r = http_get(n->http_url() + target, timeout);
  INFO(target << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return nlohmann::json::parse(r.body);
}

// The plugin's /search/status.
inline nlohmann::json dbfs_status(TestNode& n) { return dbfs_get_json(n, "/search/status"); }

}  // namespace butter::test
