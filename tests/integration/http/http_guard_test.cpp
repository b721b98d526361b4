// The node's HTTP endpoint against what a web page could make a browser send it, on a real node
// (storage, search, wiki) over loopback: a cross-origin POST changes nothing and is counted, the
// node's own pages and header-less clients still write, a foreign Host (DNS rebinding) is refused
// for reads, every answer carries the security headers, and idle connections beyond the limit do
// not lock a local user out of /status.
#include "support/http_client.hpp"
#include "support/test_node.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace butter;
using namespace butter::test;

namespace {

std::string wiki_node() {
  return loopback_manifest("guarded",
                           plugin_table("storage", "butter.storage.pcg", "replicas = 1\nheartbeat_ms = 200") +
                               plugin_table("search", "butter.ir.dbfs") +
                               plugin_table("wiki", "butter.example.wiki", "write_wait_ms = 500"));
}

struct Endpoint {
  explicit Endpoint(TestNode& n) : base(n->http_url()) {
    std::string target;
    split_http_url(base, host, port, target);
  }
  std::string origin() const { return base; }
  HttpResult send(const std::string& method, const std::string& target, const HttpHeaders& headers,
                  const std::string& body = "") const {
    return http_request_with(host, port, method, target, headers, body, std::chrono::seconds(10));
  }
  std::string base;
  std::string host;
  std::uint16_t port = 0;
};

const std::string kForm = "title=Forged&text=written+by+another+site&keywords=evil";
const HttpHeaders kFormType{{"Content-Type", "application/x-www-form-urlencoded"}};

HttpHeaders with(HttpHeaders h, const HttpHeaders& more) {
  h.insert(h.end(), more.begin(), more.end());
  return h;
}

std::size_t wiki_pages(const Endpoint& e) {
  auto r = http_get(e.base + "/wiki/api/pages");
  REQUIRE(r.status == 200);
  return nlohmann::json::parse(r.body)["pages"].size();
}

std::size_t stored_objects(const Endpoint& e) {
  auto r = http_get(e.base + "/storage");
  REQUIRE(r.status == 200);
  return nlohmann::json::parse(r.body)["objects"].size();
}

}  // namespace

TEST_CASE("a cross-origin POST to the wiki or to storage is refused 403 and changes nothing") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, wiki_node());
  Endpoint e(node);

  // A form on another site posting to the wiki, as a browser sends it.
  auto form = e.send("POST", "/wiki/api/pages",
                     with(kFormType, {{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}}), kForm);
  CHECK(form.status == 403);
  CHECK(form.body.find("cross-origin request refused") != std::string::npos);
  // A no-cors fetch() of text/plain to storage from another page on this machine (same site).
  auto text =
      e.send("POST", "/storage?wait=0",
             {{"Content-Type", "text/plain"}, {"Origin", "http://127.0.0.1:1"}, {"Sec-Fetch-Site", "same-site"}},
             "stored by another site");
  CHECK(text.status == 403);
  // A sandboxed frame or a file: page.
  CHECK(e.send("POST", "/storage?wait=0", {{"Origin", "null"}}, "x").status == 403);
  // A browser that sends Sec-Fetch-Site but no Origin.
  CHECK(e.send("POST", "/wiki/api/pages", with(kFormType, {{"Sec-Fetch-Site", "cross-site"}}), kForm).status == 403);

  CHECK(wiki_pages(e) == 0);
  CHECK(stored_objects(e) == 0);
  auto status = node->status();
  CHECK(status["http"]["requests_refused_by"]["origin"] == 3);
  CHECK(status["http"]["requests_refused_by"]["fetch_site"] == 1);
  const std::string metrics = http_get(e.base + "/metrics").body;
  CHECK(metrics.find("butter_http_requests_refused_total{node=\"guarded\",reason=\"origin\"} 3") != std::string::npos);
  CHECK(metrics.find("butter_http_requests_refused_total{node=\"guarded\",reason=\"fetch_site\"} 1") !=
        std::string::npos);
}

TEST_CASE("the node's own pages and clients without Origin still change state") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, wiki_node());
  Endpoint e(node);

  auto own =
      e.send("POST", "/wiki/api/pages", with(kFormType, {{"Origin", e.origin()}, {"Sec-Fetch-Site", "same-origin"}}),
             "title=Mine&text=from+the+wiki+page&keywords=own");
  INFO(own.body);
  CHECK(own.status == 201);
  // The same node under localhost: also its own origin.
  auto localhost = e.send(
      "POST", "/storage?wait=0",
      {{"Host", "localhost:" + std::to_string(e.port)}, {"Origin", "http://localhost:" + std::to_string(e.port)}},
      "via localhost");
  CHECK(localhost.status == 202);
  // curl, the CLI: no Origin, no Sec-Fetch-Site.
  auto plain = e.send("POST", "/storage?wait=0", {}, "from curl");
  CHECK(plain.status == 202);
  CHECK(wiki_pages(e) == 1);
  CHECK(wait_until([&] { return stored_objects(e) >= 2; }));
  CHECK(node->status()["http"]["requests_refused_by"]["origin"] == 0);
}

TEST_CASE("a foreign Host header is refused for reads and writes (DNS rebinding)") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, wiki_node());
  Endpoint e(node);
  const std::string port = std::to_string(e.port);

  auto status = e.send("GET", "/status", {{"Host", "rebind.evil.example:" + port}});
  CHECK(status.status == 421);
  CHECK(status.body.find("rebind.evil.example") != std::string::npos);
  CHECK(status.body.find("\"node\"") == std::string::npos);
  CHECK(e.send("GET", "/wiki/api/pages", {{"Host", "rebind.evil.example"}}).status == 421);
  // A page served under the rebound name is "same origin" with itself: Origin does not help, Host does.
  CHECK(e.send("POST", "/wiki/api/pages",
               with(kFormType, {{"Host", "rebind.evil.example:" + port},
                                {"Origin", "http://rebind.evil.example:" + port},
                                {"Sec-Fetch-Site", "same-origin"}}),
               kForm)
            .status == 421);
  CHECK(wiki_pages(e) == 0);
  CHECK(node->status()["http"]["requests_refused_by"]["host"] == 3);

  CHECK(e.send("GET", "/status", {{"Host", "localhost:" + port}}).status == 200);
  CHECK(e.send("GET", "/status", {{"Host", "127.0.0.1"}}).status == 200);
}

TEST_CASE("every answer of the node carries the security headers and the wiki page loads no inline code") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, wiki_node());
  Endpoint e(node);
  for (const std::string target : {"/status", "/metrics", "/wiki", "/wiki/wiki.js", "/wiki/wiki.css", "/wiki/api/pages",
                                   "/storage", "/no/such/route"}) {
    INFO(target);
    auto r = http_get(e.base + target);
    CHECK(r.header("X-Frame-Options") == "DENY");
    CHECK(r.header("X-Content-Type-Options") == "nosniff");
    CHECK(r.header("Content-Security-Policy").find("default-src 'self'") != std::string::npos);
    CHECK(r.header("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
  }
  auto page = http_get(e.base + "/wiki");
  CHECK(page.body.find("<script src=\"/wiki/wiki.js\"></script>") != std::string::npos);
  CHECK(page.body.find("<script>") == std::string::npos);
  CHECK(page.body.find("<style>") == std::string::npos);
  CHECK(http_get(e.base + "/wiki/wiki.js").content_type.rfind("text/javascript", 0) == 0);
  CHECK(http_get(e.base + "/wiki/wiki.css").content_type.rfind("text/css", 0) == 0);
  auto refused = e.send("POST", "/storage", {{"Origin", "http://evil.example"}}, "x");
  CHECK(refused.header("X-Frame-Options") == "DENY");
}

TEST_CASE("300 idle connections do not lock a local user out of status") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, loopback_manifest("crowded"));
  Endpoint e(node);
  // More idle connections than the endpoint's limit (256): half never send a byte, half hold a
  // keep-alive connection after one request.
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> idle;
  const auto to = boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), e.port);
  for (int i = 0; i < 150; ++i) {
    idle.emplace_back(io).connect(to);
  }
  std::vector<std::unique_ptr<HttpConnection>> kept;
  for (int i = 0; i < 150; ++i) {
    kept.push_back(std::make_unique<HttpConnection>(e.host, e.port, std::chrono::seconds(5)));
    REQUIRE(kept.back()->request("GET", "/status").status == 200);
  }
  const auto started = std::chrono::steady_clock::now();
  auto status = http_get(e.base + "/status", std::chrono::seconds(5));
  CHECK(status.status == 200);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  auto j = nlohmann::json::parse(status.body);
  CHECK(j["http"]["connections_evicted"].get<std::uint64_t>() >= 300 + 1 - 256);
  CHECK(j["http"]["connections_refused"] == 0);
}
