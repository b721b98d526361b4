// order_plugins: start order from provides/required/optional, and every wiring error.
#include "loader/dependency_graph.hpp"

#include <catch2/catch.hpp>

using namespace butter::host;

namespace {

GraphNode node(std::string name, std::vector<std::string> provides, std::vector<std::string> required = {},
               std::vector<std::string> optional = {}, std::uint32_t line = 1) {
  GraphNode n;
  n.instance = std::move(name);
  n.provides = std::move(provides);
  n.required = std::move(required);
  n.optional = std::move(optional);
  n.pos = SourcePos{"m.toml", line, 1};
  return n;
}

std::vector<std::string> names(const std::vector<GraphNode>& nodes, const std::vector<std::size_t>& order) {
  std::vector<std::string> out;
  for (auto i : order) out.push_back(nodes[i].instance);
  return out;
}

}  // namespace

TEST_CASE("independent plugins start in manifest order") {
  std::vector<GraphNode> nodes{node("c", {"c/1"}), node("a", {"a/1"}), node("b", {})};
  Diagnostics d;
  auto order = order_plugins(nodes, d);
  REQUIRE(order);
  CHECK(d.empty());
  CHECK(names(nodes, *order) == std::vector<std::string>{"c", "a", "b"});
}

TEST_CASE("providers start before the plugins that require them") {
  std::vector<GraphNode> nodes{
      node("chat", {"chat/1"}, {"storage/1", "peers/1"}),
      node("store", {"storage/1"}, {"peers/1"}),
      node("kh", {"peers/1"}),
      node("other", {}),
  };
  Diagnostics d;
  auto order = order_plugins(nodes, d);
  REQUIRE(order);
  CHECK(names(nodes, *order) == std::vector<std::string>{"kh", "store", "chat", "other"});
}

TEST_CASE("an empty manifest has an empty order") {
  Diagnostics d;
  auto order = order_plugins({}, d);
  REQUIRE(order);
  CHECK(order->empty());
}

TEST_CASE("a required interface nobody provides is an error at the instance") {
  std::vector<GraphNode> nodes{node("chat", {}, {"butter.storage/1"}, {}, 7)};
  Diagnostics d;
  CHECK_FALSE(order_plugins(nodes, d));
  REQUIRE(d.items.size() == 1);
  CHECK(d.items[0].message == "plugin 'chat' requires butter.storage/1, which no plugin in this manifest provides");
  CHECK(d.items[0].pos.line == 7);
}

TEST_CASE("an interface provided twice is an error naming both") {
  std::vector<GraphNode> nodes{node("kh", {"butter.peers/1"}, {}, {}, 9), node("kh2", {"butter.peers/1"}, {}, {}, 12)};
  Diagnostics d;
  CHECK_FALSE(order_plugins(nodes, d));
  REQUIRE(d.items.size() == 1);
  CHECK(d.items[0].message == "butter.peers/1 is provided by both 'kh' (m.toml:9:1) and 'kh2'");
  CHECK(d.items[0].pos.line == 12);
}

TEST_CASE("a cycle is an error naming its path") {
  std::vector<GraphNode> nodes{node("a", {"a/1"}, {"b/1"}), node("b", {"b/1"}, {"a/1"})};
  Diagnostics d;
  CHECK_FALSE(order_plugins(nodes, d));
  REQUIRE(d.items.size() == 1);
  CHECK(d.items[0].message == "dependency cycle: a -> b -> a");
}

TEST_CASE("a longer cycle is named in full and its dependents are not blamed") {
  std::vector<GraphNode> nodes{
      node("x", {}, {"c/1"}),  // depends on the cycle, is not part of it
      node("a", {"a/1"}, {"b/1"}),
      node("b", {"b/1"}, {"c/1"}),
      node("c", {"c/1"}, {"a/1"}),
  };
  Diagnostics d;
  CHECK_FALSE(order_plugins(nodes, d));
  REQUIRE(d.items.size() == 1);
  CHECK(d.items[0].message == "dependency cycle: a -> b -> c -> a");
}

TEST_CASE("a plugin requiring what it provides is a cycle of one") {
  std::vector<GraphNode> nodes{node("self", {"s/1"}, {"s/1"})};
  Diagnostics d;
  CHECK_FALSE(order_plugins(nodes, d));
  REQUIRE(d.items.size() == 1);
  CHECK(d.items[0].message == "dependency cycle: self -> self");
}

TEST_CASE("all wiring errors are collected together") {
  std::vector<GraphNode> nodes{
      node("a", {"a/1"}, {"b/1"}),
      node("b", {"b/1"}, {"a/1"}),        // cycle
      node("c", {"c/1"}, {"missing/1"}),  // missing
      node("d", {"c/1"}),                 // duplicate
      node("e", {"e/1"}, {"f/1"}),
      node("f", {"f/1"}, {"e/1"}),  // another cycle
  };
  Diagnostics d;
  CHECK_FALSE(order_plugins(nodes, d));
  const std::string all = d.to_string();
  INFO(all);
  CHECK(d.items.size() == 4);
  CHECK_THAT(all, Catch::Contains("dependency cycle: a -> b -> a"));
  CHECK_THAT(all, Catch::Contains("dependency cycle: e -> f -> e"));
  CHECK_THAT(all, Catch::Contains("requires missing/1"));
  CHECK_THAT(all, Catch::Contains("c/1 is provided by both 'c'"));
}

TEST_CASE("optional interfaces order when present and are ignored when absent") {
  std::vector<GraphNode> nodes{
      node("ui", {}, {}, {"metrics/1", "absent/1"}),
      node("metrics", {"metrics/1"}),
  };
  Diagnostics d;
  auto order = order_plugins(nodes, d);
  REQUIRE(order);
  CHECK(d.empty());
  CHECK(names(nodes, *order) == std::vector<std::string>{"metrics", "ui"});
}

TEST_CASE("an optional use that would close a cycle is dropped not reported") {
  std::vector<GraphNode> nodes{
      node("a", {"a/1"}, {}, {"b/1"}),  // a would like b first...
      node("b", {"b/1"}, {"a/1"}),      // ...but b requires a
  };
  Diagnostics d;
  auto order = order_plugins(nodes, d);
  REQUIRE(order);
  CHECK(d.empty());
  CHECK(names(nodes, *order) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("mutual optional uses resolve in manifest order") {
  std::vector<GraphNode> nodes{node("p", {"p/1"}, {}, {"q/1"}), node("q", {"q/1"}, {}, {"p/1"})};
  Diagnostics d;
  auto order = order_plugins(nodes, d);
  REQUIRE(order);
  CHECK(names(nodes, *order) == std::vector<std::string>{"q", "p"});  // p's wish came first
}

TEST_CASE("the order is deterministic") {
  std::vector<GraphNode> nodes;
  for (int i = 0; i < 30; ++i) {
    std::vector<std::string> req;
    if (i % 3 == 0 && i > 0) req.push_back("if" + std::to_string(i - 1) + "/1");
    if (i % 5 == 0 && i + 7 < 30) req.push_back("if" + std::to_string(i + 7) + "/1");
    nodes.push_back(node("n" + std::to_string(i), {"if" + std::to_string(i) + "/1"}, req));
  }
  Diagnostics d1, d2;
  auto first = order_plugins(nodes, d1);
  REQUIRE(first);
  for (int k = 0; k < 5; ++k) {
    auto again = order_plugins(nodes, d2);
    REQUIRE(again);
    CHECK(*again == *first);
  }
  // Every dependency comes first.
  std::vector<std::size_t> pos(nodes.size());
  for (std::size_t i = 0; i < first->size(); ++i) pos[(*first)[i]] = i;
  REQUIRE(first->size() == nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& r : nodes[i].required) {
      const std::size_t provider = std::stoul(r.substr(2, r.find('/') - 2));
      CHECK(pos[provider] < pos[i]);
    }
  }
}
