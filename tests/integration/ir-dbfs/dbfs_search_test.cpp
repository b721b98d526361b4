// ir-dbfs on real nodes over loopback: 20 nodes in one process find each other by multicast,
// keep a small overlay (2 chosen neighbours each, so searches take several hops), store objects
// with pcg-storage, and search them from other nodes — by object id and by keywords, through the
// plugin's HTTP route and through butter.search/1 (the tp-search-client test plugin). Bad and
// over-limit messages are dropped and counted; annotations survive a hot swap; a query flood from
// one connection is shed while an honest search still finds its hit.
#include "dbfs_http.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <random>
#include <set>

using namespace butter;
using namespace butter::test;

namespace {

// With storage, hits are content objects and are proven (verify, the default). Without it, the tests
// search annotations: names no manifest backs, which a verifying node drops, so `verify = false`.
std::string plugins(std::uint16_t port, bool storage) {
  std::string t =
      plugin_table("peers", "butter.knownhosts.quality", "refresh_ms = 1000\ntimeout_ms = 1000\n") +
      plugin_table("discovery", "butter.discovery.multicast",
                   "interface = \"127.0.0.1\"\nport = " + std::to_string(port) + "\nfast_ms = 50\nslow_ms = 2000") +
      plugin_table("search", "butter.ir.dbfs",
                   "neighbours = 2\nmax_inbound = 4\nhop_ms = 20.0\nrefresh_ms = 500\nsource_fanout = 1\n"
                   "ttl_start = 1\n" +
                       std::string(storage ? "" : "verify = false\n")) +
      test_plugin_table("client", "tp-search-client.so");
  if (storage) t += plugin_table("storage", "butter.storage.pcg", "replicas = 3\n");
  return t;
}

// Waits for tp-search-client's result of `ticket` to be done.
nlohmann::json client_result(TestNode& n, std::uint64_t ticket) {
  nlohmann::json j;
  bool done = wait_until(
      [&] {
        j = dbfs_get_json(n, "/tp-search/result?ticket=" + std::to_string(ticket));
        return j["done"].get<bool>();
      },
      std::chrono::seconds(15));
  INFO(j.dump());
  REQUIRE(done);
  return j;
}

// Whether every node reaches every other over the links the nodes forward queries on.
bool overlay_connected(std::vector<std::unique_ptr<TestNode>>& nodes) {
  std::map<std::string, std::vector<std::string>> out;
  for (auto& n : nodes) {
    auto st = dbfs_status(*n);
    for (const auto& x : st["neighbours"]) out[(*n)->id_hex()].push_back(x["id"].get<std::string>());
  }
  for (auto& n : nodes) {
    std::set<std::string> seen{(*n)->id_hex()};
    std::vector<std::string> todo{(*n)->id_hex()};
    while (!todo.empty()) {
      const std::string at = todo.back();
      todo.pop_back();
      for (const auto& next : out[at])
        if (seen.insert(next).second) todo.push_back(next);
    }
    if (seen.size() < nodes.size()) return false;
  }
  return true;
}

// What each node knows and links to, for a failed wait: which of the conditions did not hold.
std::string overlay_report(std::vector<std::unique_ptr<TestNode>>& nodes) {
  std::string r = "node: admitted hosts, chosen neighbours, all neighbours; LINKs it refused, UNLINKs it got\n";
  for (auto& n : nodes) {
    auto st = dbfs_status(*n);
    r += (*n)->name() + " " + (*n)->id_hex().substr(0, 6) + ": " +
         std::to_string(n->counter("peers", "knownhosts_admitted_total")) + ", " + st["outbound"].dump() + ", [";
    for (const auto& x : st["neighbours"]) r += x["id"].get<std::string>().substr(0, 6) + " ";
    r += "]; " + std::to_string(n->counter("search", "dbfs_inbound_refused_total")) + ", " +
         std::to_string(n->counter("search", "dbfs_unlinks_received_total")) + "\n";
  }
  return r;
}

std::uint64_t sum_counter(std::vector<std::unique_ptr<TestNode>>& nodes, const std::string& name) {
  std::uint64_t s = 0;
  for (auto& n : nodes) s += n->counter("search", name);
  return s;
}

}  // namespace

TEST_CASE("twenty nodes find objects stored on others by id and by keywords") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  const auto port = random_multicast_port();
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (int i = 0; i < 20; ++i)
    nodes.push_back(
        std::make_unique<TestNode>(rt, registry, loopback_manifest("s" + std::to_string(i), plugins(port, true))));

  // Everyone knows most others and has its 2 chosen neighbours; the overlay those links make is
  // connected (neighbours are chosen again as the known-host cache grows, so the first nodes up
  // do not stay a clique of their own).
  bool ready = wait_until(
      [&] {
        for (auto& n : nodes)
          if (n->counter("peers", "knownhosts_admitted_total") < 17 || dbfs_status(*n)["outbound"] != 2) return false;
        return overlay_connected(nodes);
      },
      std::chrono::seconds(60));  // about 10 s alone, even under TSan; 30 s was exceeded beside other TSan tests
  INFO((ready ? std::string() : overlay_report(nodes)));
  REQUIRE(ready);
  WARN("overlay ready: " << sum_counter(nodes, "dbfs_inbound_refused_total") << " LINKs refused, "
                         << sum_counter(nodes, "dbfs_links_withdrawn_total") << " links withdrawn");

  // Objects put on 4 nodes; pcg-storage replicates each to a group of 3.
  std::vector<std::string> ids;
  const std::vector<std::string> words{"alpha", "bravo", "charlie", "delta"};
  for (int k = 0; k < 4; ++k) {
    TestNode& n = *nodes[static_cast<std::size_t>(5 * k)];
    auto r =
        http_request_url("POST", n->http_url() + "/storage?keywords=" + words[static_cast<std::size_t>(k)] + ",Common",
                         "object " + std::to_string(k) + " " + std::string(1000, 'x'), std::chrono::seconds(15));
    INFO(r.body);
    REQUIRE(r.status == 201);
    ids.push_back(nlohmann::json::parse(r.body)["id"].get<std::string>());
  }
  // Holders, as storage says; and their search index has them.
  std::map<std::string, std::set<std::string>> holders;
  bool placed = wait_until(
      [&] {
        holders.clear();
        for (auto& n : nodes) {
          const auto held = dbfs_get_json(*n, "/storage");  // kept: iterating a temporary's member would dangle
          for (const auto& o : held["objects"]) holders[o["id"].get<std::string>()].insert((*n)->id_hex());
        }
        for (const auto& id : ids)
          if (holders[id].size() < 2) return false;
        for (auto& n : nodes) {
          std::size_t held = 0;
          for (const auto& id : ids) held += holders[id].count((*n)->id_hex());
          if (dbfs_status(*n)["index_stored"].get<std::size_t>() < held) return false;
        }
        return true;
      },
      std::chrono::seconds(30));
  std::string report;
  for (const auto& id : ids) report += id.substr(0, 8) + " held by " + std::to_string(holders[id].size()) + "; ";
  for (auto& n : nodes) report += (*n)->name() + " indexed " + dbfs_status(*n)["index_stored"].dump() + "; ";
  INFO(report);
  REQUIRE(placed);

  // By id, from every node that does not hold the object, through the HTTP route.
  std::size_t searches = 0, found = 0, max_hops = 0;
  std::string misses;
  for (const auto& id : ids) {
    for (auto& n : nodes) {
      if (holders[id].count((*n)->id_hex())) continue;
      auto j = dbfs_get_json(*n, "/search?object=" + id + "&max=1&timeout_ms=5000");
      ++searches;
      INFO(j.dump());
      CHECK(j["done"]["reason"].get<std::string>() != "no neighbours");
      if (j["hits"].empty()) {
        misses += (*n)->name() + ": " + j.dump() + " " + dbfs_status(*n).dump() + "\n";
        continue;
      }
      ++found;
      for (const auto& h : j["hits"]) {
        CHECK(h["object"] == id);
        CHECK(holders[id].count(h["node"].get<std::string>()) == 1);
        CHECK(!h["endpoints"].empty());
        max_hops = std::max<std::size_t>(max_hops, h["hops"].get<std::size_t>());
      }
    }
  }
  if (found != searches) {
    // Diagnosis: the overlay as the nodes see it (who forwards to whom).
    for (auto& n : nodes) {
      auto st = dbfs_status(*n);
      misses += (*n)->name() + " " + (*n)->id_hex().substr(0, 6) + " -> ";
      for (const auto& x : st["neighbours"]) misses += x["id"].get<std::string>().substr(0, 6) + " ";
      misses += " (chose " + std::to_string(st["outbound"].get<int>()) + ") send_failed " +
                std::to_string(n->counter("search", "dbfs_send_failed_total")) + "\n";
    }
  }
  INFO(found << " of " << searches << " searches found the object; max hops " << max_hops << "\n" << misses);
  CHECK(found == searches);
  CHECK(max_hops >= 2);  // the overlay is not a full mesh: searches go several hops

  // By keywords (case-insensitive, all terms), asking for every result.
  auto kw = dbfs_get_json(*nodes[19], "/search?q=COMMON&max=20&timeout_ms=5000");
  std::set<std::string> objects;
  for (const auto& h : kw["hits"]) objects.insert(h["object"].get<std::string>());
  CHECK(objects.size() == ids.size());
  auto both = dbfs_get_json(*nodes[18], "/search?q=bravo+common&max=20");
  REQUIRE(!both["hits"].empty());
  for (const auto& h : both["hits"]) CHECK(h["object"] == ids[1]);

  // Through butter.search/1: hits on the events bus, then one DONE, as iface/search.h says.
  std::size_t via_iface = 0;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    TestNode* src = nullptr;
    for (auto& n : nodes)
      if (!holders[ids[k]].count((*n)->id_hex())) src = n.get();
    REQUIRE(src);
    auto t = dbfs_get_json(*src, "/tp-search/find?object=" + ids[k] + "&max=3")["ticket"].get<std::uint64_t>();
    auto r = client_result(*src, t);
    CHECK_FALSE(r["malformed"].get<bool>());
    CHECK(r["status"] == 0);
    CHECK(r["done_hits"] == r["hits"].size());
    CHECK(r["messages"].get<int>() >= 1);
    for (const auto& h : r["hits"]) {
      CHECK(holders[ids[k]].count(h["node"].get<std::string>()) == 1);
      CHECK(h["endpoints"].get<int>() >= 1);
      CHECK(h["keywords"].get<int>() == 2);
    }
    via_iface += r["hits"].empty() ? 0 : 1;
  }
  CHECK(via_iface == ids.size());
  CHECK(sum_counter(nodes, "dbfs_queries_received_total") > 0);
  CHECK(sum_counter(nodes, "dbfs_hits_total") >= found);
  CHECK(sum_counter(nodes, "dbfs_malformed_total") == 0);
}

TEST_CASE("annotated objects are found and survive a hot swap and bad queries are dropped and counted") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  const auto port = random_multicast_port();
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (int i = 0; i < 6; ++i)
    nodes.push_back(
        std::make_unique<TestNode>(rt, registry, loopback_manifest("a" + std::to_string(i), plugins(port, false))));
  REQUIRE(wait_until(
      [&] {
        for (auto& n : nodes)
          if (dbfs_status(*n)["outbound"] != 2) return false;
        return true;
      },
      std::chrono::seconds(30)));

  // annotate() through the interface; no storage plugin on these nodes.
  auto a =
      http_request_url("POST", (*nodes[2])->http_url() + "/tp-search/annotate?object=wiki-page-7&keywords=Butter,Wiki");
  CHECK(a.status == 200);
  auto bad = http_request_url("POST", (*nodes[2])->http_url() + "/tp-search/annotate?object=&keywords=x");
  CHECK(bad.status == 400);
  auto t = dbfs_get_json(*nodes[0], "/tp-search/find?q=wiki,butter")["ticket"].get<std::uint64_t>();
  auto r = client_result(*nodes[0], t);
  REQUIRE(r["hits"].size() == 1);
  CHECK(r["hits"][0]["object"] == "wiki-page-7");
  CHECK(r["hits"][0]["node"] == (*nodes[2])->id_hex());
  // A hot swap of the search plugin carries the annotations over (storage's objects would come
  // back through list()).
  host::SwapReport swap;
  auto e = (*nodes[2])->replace_plugin("search", std::string(BUTTER_PLUGIN_DIR) + "/ir-dbfs.so", &swap);
  INFO(e.message);
  REQUIRE_FALSE(e);
  CHECK(swap.swapped);
  CHECK(swap.state_handed_over);
  auto after_swap = dbfs_get_json(*nodes[2], "/search/status");
  CHECK(after_swap["index_objects"] == 1);
  CHECK(after_swap["outbound"] == 2);
  auto t3 = dbfs_get_json(*nodes[3], "/tp-search/find?q=wiki")["ticket"].get<std::uint64_t>();
  auto r3 = client_result(*nodes[3], t3);
  REQUIRE(r3["hits"].size() == 1);
  CHECK(r3["hits"][0]["node"] == (*nodes[2])->id_hex());

  // A refused query gets an error at once and no result.
  auto refused = http_get((*nodes[0])->http_url() + "/tp-search/find?q=");
  CHECK(refused.status == 400);
  auto http_refused = http_get((*nodes[0])->http_url() + "/search?q=" + std::string(100, 'x'));
  CHECK(http_refused.status == 400);

  // Garbage, and a well-formed query over the TTL limit, sent to /butter/dbfs/1.
  TestNode& victim = *nodes[1];
  request_from(*nodes[0], victim->id_hex(), "/butter/dbfs/1", "garbage");
  std::string over{1, 1};                // version 1, QUERY
  over += std::string(16, '\x07');       // query id
  over += std::string{1, 30, 1, 0, 1};   // kind object, TTL 30, hops 1, max_results 1
  over += std::string{0, 1, 0, 1, 'x'};  // one term "x"
  request_from(*nodes[0], victim->id_hex(), "/butter/dbfs/1", over);
  CHECK(wait_until([&] {
    return victim.counter("search", "dbfs_malformed_total") == 1 &&
           victim.counter("search", "dbfs_over_limit_total") == 1;
  }));
  CHECK(victim.plugin_state("search") == "started");
  // Still serving.
  auto t2 = dbfs_get_json(victim, "/tp-search/find?q=butter")["ticket"].get<std::uint64_t>();
  CHECK(client_result(victim, t2)["hits"].size() == 1);
}

// Object ids and keywords are any bytes a user or a peer gives; the answers are JSON all the same:
// a byte that is not UTF-8 comes back as U+FFFD (before, it was copied into the answer, which no
// JSON parser accepts).
TEST_CASE("an object id and a keyword with invalid UTF-8 come back in a valid JSON answer") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry,
             loopback_manifest("a", plugin_table("search", "butter.ir.dbfs", "refresh_ms = 100\nverify = false\n")));
  auto ann = http_request_url("POST", a->http_url() + "/search/annotate?object=obj%FFect&keywords=plain,b%FEd%C3");
  REQUIRE(ann.status == 200);
  const std::string bad_object =
      "obj\xEF\xBF\xBD"
      "ect";
  const std::string bad_keyword =
      "b\xEF\xBF\xBD"
      "d\xEF\xBF\xBD";

  // dbfs_get_json parses the body: nlohmann's parser refuses invalid UTF-8.
  auto by_keyword = dbfs_get_json(a, "/search?q=b%FEd%C3&max=1");
  INFO(by_keyword.dump());
  REQUIRE(by_keyword["hits"].size() == 1);
  CHECK(by_keyword["hits"][0]["object"] == bad_object);
  const auto keywords = by_keyword["hits"][0]["keywords"].get<std::set<std::string>>();
  CHECK(keywords == std::set<std::string>{"plain", bad_keyword});
  CHECK(by_keyword["hits"][0]["node"] == a->id_hex());
  CHECK(by_keyword["done"]["hits"] == 1);

  auto by_object = dbfs_get_json(a, "/search?object=obj%FFect&max=1");
  REQUIRE(by_object["hits"].size() == 1);
  CHECK(by_object["hits"][0]["object"] == bad_object);

  // Nothing found, and a refused query: JSON too.
  auto none = dbfs_get_json(a, "/search?q=%FF%FE&max=1");
  CHECK(none["hits"].empty());
  auto refused = http_get(a->http_url() + "/search?q=%FF" + std::string(100, 'x'));
  CHECK(refused.status == 400);
  CHECK(nlohmann::json::parse(refused.body)["error"].is_string());
  CHECK(a.plugin_state("search") == "started");
}

TEST_CASE("a query flood from one connection is shed while an honest search from another node finds its hit") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  const auto port = random_multicast_port();
  // Flooding nodes forward to every neighbour, so the honest searcher's query goes straight to the
  // victim. Every node here is 127.0.0.1, one address: the per-address bucket (exercised with
  // distinct addresses in the unit tests) is opened wide, and the per-peer one is small.
  const std::string extra =
      "method = \"flood\"\nrate_per_s = 5.0\nburst = 10.0\nverify = false\n"
      "address_rate_per_s = 100000.0\naddress_burst = 100000.0\n"
      "prefix_rate_per_s = 100000.0\nprefix_burst = 100000.0\n";
  auto config =
      plugin_table("peers", "butter.knownhosts.quality", "refresh_ms = 1000\ntimeout_ms = 1000\n") +
      plugin_table("discovery", "butter.discovery.multicast",
                   "interface = \"127.0.0.1\"\nport = " + std::to_string(port) + "\nfast_ms = 50\nslow_ms = 2000") +
      plugin_table("search", "butter.ir.dbfs",
                   "neighbours = 2\nmax_inbound = 4\nhop_ms = 20.0\nrefresh_ms = 500\n" + extra) +
      test_plugin_table("client", "tp-search-client.so");
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (int i = 0; i < 5; ++i)
    nodes.push_back(std::make_unique<TestNode>(rt, registry, loopback_manifest("f" + std::to_string(i), config)));
  REQUIRE(wait_until(
      [&] {
        for (auto& n : nodes)
          if (dbfs_status(*n)["outbound"] != 2) return false;
        return true;
      },
      std::chrono::seconds(30)));
  TestNode& victim = *nodes[1];
  TestNode& flooder = *nodes[0];
  auto ann = http_request_url("POST", victim->http_url() + "/search/annotate?object=honest-object&keywords=honest");
  REQUIRE(ann.status == 200);

  // 200 well-formed version-2 queries with the largest budget, TTL 0, from the flooder's connection.
  for (int i = 0; i < 200; ++i) {
    std::string q{2, 1};                                                        // version 2, QUERY
    q += std::string(8, '\x0f') + std::string(7, '\0') + static_cast<char>(i);  // query id
    q += std::string{2, 0, 1, 0, 1};         // keywords, TTL 0, hops 1, max_results 1
    q += std::string{'\xff', '\xff'};        // budget 65535
    q += std::string{0, 1, 0, 5} + "flood";  // one term
    request_from(flooder, victim->id_hex(), "/butter/dbfs/1", q);
  }
  // Shed: at most the burst and what the rate refilled while the flood lasted were accepted.
  CHECK(wait_until([&] { return victim.counter("search", "dbfs_rate_limited_total") >= 150; }));
  const auto shed = victim.counter("search", "dbfs_rate_limited_total");
  INFO("shed " << shed << " of 200");
  CHECK(victim.counter("search", "dbfs_budget_clamped_total") == 200 - shed);  // the accepted ones: clamped

  // An honest node that forwards to the victim (the victim is among its neighbours) searches: found.
  auto forwards_to_victim = [&](TestNode& n) {
    const auto st = dbfs_status(n);  // named: a range-for over a temporary's member would dangle
    for (const auto& x : st["neighbours"])
      if (x["id"].get<std::string>() == victim->id_hex()) return true;
    return false;
  };
  TestNode* honest = nullptr;
  REQUIRE(wait_until([&] {
    for (std::size_t i = 2; i < nodes.size() && !honest; ++i)
      if (forwards_to_victim(*nodes[i])) honest = nodes[i].get();
    return honest != nullptr;
  }));
  auto j = dbfs_get_json(*honest, "/search?q=honest&max=1&ttl=2");
  INFO(j.dump());
  REQUIRE(j["hits"].size() == 1);
  CHECK(j["hits"][0]["node"] == victim->id_hex());
  CHECK(victim.plugin_state("search") == "started");
}

// Objects over the events bus limit (64 KiB) used to be unprovable: the holder read them with a
// butter.storage/1 get whose GET_DONE the bus refused, so their hits were dropped. Holders now
// answer from butter.storage/2 (the manifest and one block range), whatever the object's size.
TEST_CASE("a search hit for a 200 KB object is proven by its holder and delivered") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto node = [](const std::string& name) {
    return loopback_manifest(name, plugin_table("search", "butter.ir.dbfs", "refresh_ms = 100\nhop_ms = 20.0\n") +
                                       plugin_table("storage", "butter.storage.pcg", "replicas = 1\n"));
  };
  TestNode a(rt, registry, node("a")), b(rt, registry, node("b"));
  request_from(a, b.endpoint(), "/test/none/1", "");  // a connection: each is the other's neighbour
  REQUIRE(
      wait_until([&] { return dbfs_status(a)["neighbours"].size() == 1 && dbfs_status(b)["neighbours"].size() == 1; }));

  std::string body;
  for (int i = 0; body.size() < 200 * 1000; ++i) body += "large-object-line-" + std::to_string(i) + ";";
  auto put = http_request_url("POST", b->http_url() + "/storage?keywords=bigproof", body, std::chrono::seconds(15));
  INFO(put.body);
  REQUIRE(put.status == 201);
  const std::string id = nlohmann::json::parse(put.body)["id"].get<std::string>();
  REQUIRE(wait_until([&] { return dbfs_status(b)["index_stored"].get<std::size_t>() >= 1; }));

  nlohmann::json hits;
  bool found = wait_until(
      [&] {
        hits = dbfs_get_json(a, "/search?q=bigproof&max=1&timeout_ms=3000");
        return hits["hits"].size() == 1;
      },
      std::chrono::seconds(20));
  INFO(hits.dump() << "\na: " << dbfs_status(a).dump());
  REQUIRE(found);
  CHECK(hits["hits"][0]["object"] == id);
  CHECK(hits["hits"][0]["node"] == b->id_hex());
  CHECK(dbfs_status(a)["hits_verified"].get<std::uint64_t>() >= 1);
  CHECK(dbfs_status(a)["proofs_failed"] == 0);
  CHECK(b.counter("search", "dbfs_proofs_sent_total") >= 1);
  CHECK(b.counter("search", "dbfs_proofs_refused_total") == 0);
}
