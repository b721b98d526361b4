// pcg-storage with real nodes in one process over loopback: known hosts and multicast discovery
// find the peers, the storage plugin groups objects on them. Driven through the plugin's HTTP
// routes (GET/POST /storage, GET /storage/<id>); heartbeats are 100 ms so nothing waits long.
#include "lying_recruit.hpp"
#include "support/http_client.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <butter/wire.hpp>

#include <random>

using namespace butter;
using namespace butter::test;

namespace {

std::string plugins(std::uint16_t port, const std::string& storage_extra = "") {
  return plugin_table("peers", "butter.knownhosts.quality", "refresh_ms = 200\ntimeout_ms = 500\nmax_failures = 2") +
         plugin_table("discovery", "butter.discovery.multicast",
                      "interface = \"127.0.0.1\"\nport = " + std::to_string(port) + "\nfast_ms = 50\nslow_ms = 2000") +
         plugin_table("storage", "butter.storage.pcg",
                      "heartbeat_ms = 100\nrequest_timeout_ms = 500\nblock_size = 16384\n" + storage_extra);
}

struct Cluster {
  host::Runtime rt{2};
  host::PluginRegistry registry;
  std::vector<std::unique_ptr<TestNode>> nodes;

  Cluster(int n, const std::string& storage_extra = "") {
    auto port = random_multicast_port();
    for (int i = 0; i < n; ++i)
      nodes.push_back(std::make_unique<TestNode>(
          rt, registry, loopback_manifest("n" + std::to_string(i), plugins(port, storage_extra))));
    const auto want = static_cast<std::uint64_t>(n - 1);
    bool all = wait_until(
        [&] {
          for (auto& node : nodes)
            if (node->counter("peers", "knownhosts_hosts") < want) return false;
          return true;
        },
        std::chrono::seconds(20));
    REQUIRE(all);
  }
  std::string url(std::size_t i, const std::string& path) { return (*nodes[i])->http_url() + path; }
  nlohmann::json list(std::size_t i) {
    if (!nodes[i]) return nlohmann::json::object();
    return nlohmann::json::parse(http_get(url(i, "/storage")).body);
  }
  // Indexes of live nodes that list `id`, each with the group size they report.
  std::map<std::size_t, int> holders(const std::string& id) {
    std::map<std::size_t, int> out;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!nodes[i]) continue;
      const nlohmann::json l = list(i);
      for (const auto& o : l["objects"])
        if (o["id"] == id) out[i] = o["group_size"].get<int>();
    }
    return out;
  }
};

}  // namespace

TEST_CASE("put on A and get on B verified from a node outside the group") {
  Cluster c(4);
  const std::string body = random_body(100 * 1000, 1);  // 7 blocks of 16 KiB
  auto put = http_request_url("POST", c.url(0, "/storage?keywords=alpha,beta"), body, std::chrono::seconds(10));
  INFO(put.body);
  REQUIRE(put.status == 201);
  auto j = nlohmann::json::parse(put.body);
  const std::string id = j["id"];
  CHECK(id.size() == 64);
  CHECK(j["replicas"] == 3);
  auto h = c.holders(id);
  CHECK(h.size() == 3);
  for (const auto& [i, size] : h) CHECK(size == 3);
  for (std::size_t i = 0; i < 4; ++i) {
    auto got = http_get(c.url(i, "/storage/" + id), std::chrono::seconds(10));
    INFO("node " << i << " held " << h.count(i));
    CHECK(got.status == 200);
    CHECK(got.body == body);
  }
  auto listed = c.list(0)["objects"][0];
  CHECK(listed["keywords"] == nlohmann::json::array({"alpha", "beta"}));
  // An id nobody holds, and a malformed one.
  CHECK(http_get(c.url(1, "/storage/" + std::string(64, 'a')), std::chrono::seconds(10)).status == 404);
  CHECK(http_get(c.url(1, "/storage/xyz")).status == 400);
}

TEST_CASE("a node outside the group streams ranges of an object and serves its manifest over HTTP") {
  Cluster c(4);
  const std::string body = random_body(100 * 1000, 2);  // 7 blocks of 16 KiB
  auto put = http_request_url("POST", c.url(0, "/storage"), body, std::chrono::seconds(10));
  REQUIRE(put.status == 201);
  const std::string id = nlohmann::json::parse(put.body)["id"];
  const auto h = c.holders(id);
  REQUIRE(h.size() == 3);
  std::size_t out = 0;
  while (h.count(out)) ++out;  // the one node that holds nothing
  std::string host, target;
  std::uint16_t port = 0;
  split_http_url(c.url(out, "/storage/" + id), host, port, target);

  // The whole object: streamed from the group with its exact length.
  auto whole = http_request_with(host, port, "GET", target, {}, "", std::chrono::seconds(10));
  CHECK(whole.status == 200);
  CHECK(whole.body == body);
  CHECK(whole.header("Content-Length") == std::to_string(body.size()));
  CHECK(whole.header("ETag") == "\"" + id + "\"");
  // A range across block boundaries, and one to the end.
  auto part =
      http_request_with(host, port, "GET", target, {{"Range", "bytes=20000-50000"}}, "", std::chrono::seconds(10));
  CHECK(part.status == 206);
  CHECK(part.body == body.substr(20000, 30001));
  // The total is the object's size, or "*" (RFC 9110) when the read had already ended before the
  // head was sent (all its blocks in one batch) and stopped short of the object's end.
  const std::string range = part.header("Content-Range");
  CHECK((range == "bytes 20000-50000/100000" || range == "bytes 20000-50000/*"));
  auto tail = http_request_with(host, port, "GET", target, {{"Range", "bytes=99990-"}}, "", std::chrono::seconds(10));
  CHECK(tail.status == 206);
  CHECK(tail.body == body.substr(99990));
  CHECK_THAT(tail.header("Content-Range"), Catch::StartsWith("bytes 99990-99999/"));
  // Past the end.
  auto past = http_request_with(host, port, "GET", target, {{"Range", "bytes=200000-"}}, "", std::chrono::seconds(10));
  CHECK(past.status == 416);
  // The manifest, located in the group: the id is its SHA-256 (checked by the read), and it is
  // the same bytes a holder serves.
  auto remote_manifest = http_get(c.url(out, "/storage/" + id + "/manifest"), std::chrono::seconds(10));
  auto held_manifest = http_get(c.url(h.begin()->first, "/storage/" + id + "/manifest"), std::chrono::seconds(10));
  CHECK(remote_manifest.status == 200);
  CHECK(held_manifest.status == 200);
  CHECK(remote_manifest.body == held_manifest.body);
  CHECK(remote_manifest.body.substr(0, 4) == "PCGM");
  const auto nowhere = http_get(c.url(out, "/storage/" + std::string(64, 'b') + "/manifest"), std::chrono::seconds(10));
  CHECK(nowhere.status == 404);
  // butter get takes this body for the storage's "no such object" and asks nothing more.
  CHECK_THAT(nowhere.body, Catch::StartsWith("BUTTER_E_NOT_FOUND"));
  CHECK(c.nodes[out]->counter("storage", "pcg_streams_opened_total") >= 4);

  // An empty object: its read ends "complete" as soon as it is located, and the manifest (which
  // `butter get` needs to verify anything) is still served, not a 404. The empty object may land
  // on `out` too: ask a node that holds no copy of it.
  auto empty_put = http_request_url("POST", c.url(0, "/storage"), "", std::chrono::seconds(10));
  REQUIRE(empty_put.status == 201);
  const std::string empty_id = nlohmann::json::parse(empty_put.body)["id"];
  const auto empty_holders = c.holders(empty_id);
  std::size_t empty_out = 0;
  while (empty_holders.count(empty_out)) ++empty_out;
  REQUIRE(!empty_holders.empty());
  REQUIRE(empty_out < c.nodes.size());
  auto empty_manifest = http_get(c.url(empty_out, "/storage/" + empty_id + "/manifest"), std::chrono::seconds(10));
  INFO(empty_manifest.body);
  CHECK(empty_manifest.status == 200);
  CHECK(empty_manifest.body.substr(0, 4) == "PCGM");
  CHECK(empty_manifest.body ==
        http_get(c.url(empty_holders.begin()->first, "/storage/" + empty_id + "/manifest"), std::chrono::seconds(10))
            .body);
}

TEST_CASE("a stopped holder is replaced and the group is back to r members") {
  Cluster c(5);
  const std::string body = random_body(40000, 2);
  auto put = http_request_url("POST", c.url(0, "/storage"), body, std::chrono::seconds(10));
  REQUIRE(put.status == 201);
  const std::string id = nlohmann::json::parse(put.body)["id"];
  auto h = c.holders(id);
  REQUIRE(h.size() == 3);
  // Stop the group's leader (as node 0 sees it): the others must take over.
  std::string leader = c.list(h.begin()->first)["objects"][0]["leader"];
  std::size_t victim = h.begin()->first;
  for (const auto& [i, size] : h) {
    auto st = (*c.nodes[i])->status();
    if (st["node"]["id"] == leader) victim = i;
  }
  c.nodes[victim].reset();
  // Bound: 3 missed heartbeats (300 ms) + a repair round + transfer, well under 10 s.
  bool back = wait_until(
      [&] {
        auto now = c.holders(id);
        if (now.size() != 3) return false;
        for (const auto& [i, size] : now)
          if (size != 3) return false;
        return true;
      },
      std::chrono::seconds(10));
  CHECK(back);
  for (std::size_t i = 0; i < c.nodes.size(); ++i) {
    if (!c.nodes[i]) continue;
    auto got = http_get(c.url(i, "/storage/" + id), std::chrono::seconds(10));
    CHECK(got.status == 200);
    CHECK(got.body == body);
  }
  std::uint64_t repairs = 0;
  for (auto& n : c.nodes)
    if (n) repairs += n->counter("storage", "pcg_repairs_total");
  CHECK(repairs >= 1);
}

TEST_CASE("a put beyond the budget is refused with a clear error and recruits go elsewhere") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = random_multicast_port();
  TestNode small(rt, registry, loopback_manifest("small", plugins(port, "capacity_bytes = 20000")));
  auto r = http_request_url("POST", small->http_url() + "/storage", random_body(30000, 3));
  CHECK(r.status == 507);
  CHECK(r.body.find("storage budget exceeded") != std::string::npos);
  auto j = nlohmann::json::parse(http_get(small->http_url() + "/storage").body);
  CHECK(j["used_bytes"] == 0);
  CHECK(j["objects"].empty());
  // Two roomy nodes and the small one: an object larger than the small node's budget ends up on
  // the roomy ones only (the small one declines the recruit), with 2 of 3 replicas.
  TestNode a(rt, registry, loopback_manifest("a", plugins(port, "put_timeout_ms = 2000")));
  TestNode b(rt, registry, loopback_manifest("b", plugins(port)));
  REQUIRE(wait_until(
      [&] {
        return a.counter("peers", "knownhosts_hosts") >= 2 && b.counter("peers", "knownhosts_hosts") >= 2 &&
               small.counter("peers", "knownhosts_hosts") >= 2;
      },
      std::chrono::seconds(20)));
  auto put = http_request_url("POST", a->http_url() + "/storage", random_body(30000, 4), std::chrono::seconds(10));
  REQUIRE(put.status == 201);
  auto pj = nlohmann::json::parse(put.body);
  CHECK(pj["replicas"] == 2);
  CHECK(small.counter("storage", "pcg_recruits_declined_total") >= 1);
  CHECK(nlohmann::json::parse(http_get(small->http_url() + "/storage").body)["objects"].empty());
}

TEST_CASE("malformed and non-member messages are refused and counted") {
  Cluster c(3);
  auto put = http_request_url("POST", c.url(0, "/storage"), random_body(5000, 5), std::chrono::seconds(10));
  REQUIRE(put.status == 201);
  const std::string id = nlohmann::json::parse(put.body)["id"];
  // A tester node that is not a member sends junk and a heartbeat for the object.
  host::PluginRegistry reg;
  TestNode outsider(c.rt, reg, loopback_manifest("outsider"));
  const std::string target = c.nodes[0]->endpoint();
  auto junk = request_from(outsider, target, "/butter/pcg/1", std::string("\x01\x06\x00", 3));
  CHECK(junk.status != 0);  // one-way protocol: a request is answered with an error
  std::string hb = std::string("\x01\x01\x00\x01", 4);
  std::uint8_t raw[32];
  REQUIRE(wire::hex_to_id(id, raw));
  hb.append(reinterpret_cast<const char*>(raw), 32);
  hb += std::string("\x00", 1) + std::string("\x00\x00\x00\x00\x00\x00\x03\xe8", 8) + std::string("\x00", 1);
  request_from(outsider, target, "/butter/pcg/1", hb);
  CHECK(wait_until([&] {
    return c.nodes[0]->counter("storage", "pcg_bad_messages_total") >= 1 &&
           c.nodes[0]->counter("storage", "pcg_non_member_messages_total") >= 1;
  }));
  CHECK(c.nodes[0]->plugin_state("storage") == "started");
  auto got = http_get(c.url(0, "/storage/" + id));
  CHECK(got.status == 200);
  CHECK(c.holders(id).size() == 3);
}

TEST_CASE("with the search plugin loaded a get from outside the group finds holders through butter.search/1") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = random_multicast_port();
  // Each get asks a single known host itself (locate_fanout = 1); the rest must come from search.
  const std::string search = plugin_table("search", "butter.ir.dbfs",
                                          "neighbours = 2\nmax_inbound = 4\nhop_ms = 20.0\nrefresh_ms = 500\n"
                                          "source_fanout = 1\nttl_start = 1\n");
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (int i = 0; i < 6; ++i)
    nodes.push_back(std::make_unique<TestNode>(
        rt, registry, loopback_manifest("s" + std::to_string(i), plugins(port, "locate_fanout = 1") + search)));
  REQUIRE(wait_until(
      [&] {
        for (auto& n : nodes)
          if (n->counter("peers", "knownhosts_hosts") < 5) return false;
        return true;
      },
      std::chrono::seconds(20)));
  const std::string body = random_body(30000, 6);
  auto put = http_request_url("POST", (*nodes[0])->http_url() + "/storage", body, std::chrono::seconds(10));
  REQUIRE(put.status == 201);
  const std::string id = nlohmann::json::parse(put.body)["id"];
  std::uint64_t hits = 0;
  int outside = 0;
  // The search index learns of stored objects through butter.storage/1 topics: retry until it has.
  bool all = wait_until(
      [&] {
        for (auto& n : nodes) {
          const auto l = nlohmann::json::parse(http_get((*n)->http_url() + "/storage").body);
          if (!l["objects"].empty()) continue;
          ++outside;
          auto got = http_get((*n)->http_url() + "/storage/" + id, std::chrono::seconds(10));
          if (got.status != 200 || got.body != body) return false;
        }
        hits = 0;
        for (auto& n : nodes) hits += n->counter("storage", "pcg_search_hits_total");
        return hits > 0;
      },
      std::chrono::seconds(20));
  INFO("gets from outside the group: " << outside << ", search hits: " << hits);
  CHECK(all);
  CHECK(hits > 0);
}

TEST_CASE("a recruit that says HAVE without fetching a block is challenged and not counted") {
  // Two honest nodes and a hostile client of A on a real encrypted connection: A recruits it with
  // B (r = 3), it acknowledges and says HAVE without fetching anything, and answers challenges
  // with made-up proofs. The put must count only A and B.
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = random_multicast_port();
  TestNode a(rt, registry, loopback_manifest("a", plugins(port, "put_timeout_ms = 3000")));
  TestNode b(rt, registry, loopback_manifest("b", plugins(port)));
  REQUIRE(wait_until(
      [&] { return a.counter("peers", "knownhosts_hosts") >= 1 && b.counter("peers", "knownhosts_hosts") >= 1; },
      std::chrono::seconds(20)));
  LyingRecruit liar(a.endpoint());
  REQUIRE(wait_until(
      [&] {
        const auto st = a->status();
        for (const auto& p : st["peers"])
          if (p["id"] == liar.id_hex()) return true;
        return false;
      },
      std::chrono::seconds(10)));
  const std::string body = random_body(40000, 7);
  auto put = http_request_url("POST", a->http_url() + "/storage", body, std::chrono::seconds(10));
  INFO(put.body);
  REQUIRE(put.status == 201);
  const auto pj = nlohmann::json::parse(put.body);
  const std::string id = pj["id"];
  CHECK(liar.recruits() >= 1);                                    // it did take a slot (else this test proves nothing)
  CHECK(liar.challenges() >= 1);                                  // and was asked to prove it
  CHECK(pj["replicas"] == 2);                                     // A and B only
  CHECK(a.counter("storage", "pcg_challenges_sent_total") >= 2);  // B's proof and the liar's
  CHECK(a.counter("storage", "pcg_proofs_passed_total") >= 1);
  CHECK(a.counter("storage", "pcg_proofs_failed_total") >= 1);
  // A never lists the liar among the proven holders, and drops it from the group.
  const auto b_id = b->status()["node"]["id"].get<std::string>();
  bool dropped = wait_until(
      [&] {
        const auto l = nlohmann::json::parse(http_get(a->http_url() + "/storage").body);
        if (l["objects"].empty()) return false;
        const auto& o = l["objects"][0];
        for (const auto& m : o["proven"]) CHECK(m != liar.id_hex());
        bool in_view = false;
        for (const auto& m : o["members"]) in_view = in_view || m == liar.id_hex();
        return !in_view && o["proven"].size() == 2;
      },
      std::chrono::seconds(10));
  CHECK(dropped);
  const auto status = nlohmann::json::parse(http_get(a->http_url() + "/storage").body);
  CHECK(status["possession"]["proofs_failed"].get<int>() >= 1);
  CHECK(status["objects"][0]["proven"] ==
        nlohmann::json::array({std::min(a->status()["node"]["id"].get<std::string>(), b_id),
                               std::max(a->status()["node"]["id"].get<std::string>(), b_id)}));
  // The honest copy serves the object.
  auto got = http_get(b->http_url() + "/storage/" + id, std::chrono::seconds(10));
  CHECK(got.status == 200);
  CHECK(got.body == body);
}
