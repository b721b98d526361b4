// The route table and endpoint parsing, without sockets.
#include "http/listen_address.hpp"
#include "http/router.hpp"

#include <catch2/catch.hpp>

using namespace butter::host;
using namespace butter::host::http_detail;

namespace {

// A handler whose identity the test can recognise: it answers `name`.
HttpHandler named(const std::string& name) {
  return [name](const HttpRequest&, HttpResponder respond) {
    HttpResponse r;
    r.body = name;
    respond(r);
  };
}

std::string who(const Router& router, const std::string& method, const std::string& path) {
  RouteMatch m = router.match(method, path);
  if (m.kind == RouteMatch::Kind::NotFound) return "404";
  if (m.kind == RouteMatch::Kind::MethodNotAllowed) return "405 " + m.allow;
  std::string got;
  (*m.handler)(HttpRequest{}, [&got](HttpResponse r) { got = r.body; });
  return got;
}

}  // namespace

TEST_CASE("prefix routes cover themselves and what is below them") {
  CHECK(prefix_covers("/wiki", "/wiki"));
  CHECK(prefix_covers("/wiki", "/wiki/"));
  CHECK(prefix_covers("/wiki", "/wiki/a/b"));
  CHECK_FALSE(prefix_covers("/wiki", "/wikipedia"));
  CHECK_FALSE(prefix_covers("/wiki", "/wik"));
  CHECK(prefix_covers("/", "/anything"));
  CHECK(prefix_covers("/wiki/", "/wiki/x"));
  CHECK_FALSE(prefix_covers("/wiki/", "/wiki"));
}

TEST_CASE("an exact route beats a prefix route and the longest prefix wins") {
  Router r;
  REQUIRE(r.add("GET", "/", true, named("root")) != 0);
  REQUIRE(r.add("GET", "/wiki", true, named("wiki")) != 0);
  REQUIRE(r.add("GET", "/wiki/deep", true, named("deep")) != 0);
  REQUIRE(r.add("GET", "/wiki/special", false, named("special")) != 0);
  CHECK(who(r, "GET", "/wiki") == "wiki");
  CHECK(who(r, "GET", "/wiki/page") == "wiki");
  CHECK(who(r, "GET", "/wiki/deep") == "deep");
  CHECK(who(r, "GET", "/wiki/deep/er") == "deep");
  CHECK(who(r, "GET", "/wiki/special") == "special");
  CHECK(who(r, "GET", "/wiki/special/x") == "wiki");
  CHECK(who(r, "GET", "/wikipedia") == "root");
}

TEST_CASE("no route is 404 and a route for another method is 405 with the allowed ones") {
  Router r;
  REQUIRE(r.add("GET", "/status", false, named("status")) != 0);
  REQUIRE(r.add("POST", "/status", false, named("post")) != 0);
  CHECK(who(r, "GET", "/nope") == "404");
  CHECK(who(r, "DELETE", "/status") == "405 GET, HEAD, POST");
  CHECK(who(r, "HEAD", "/status") == "status");
  CHECK(who(r, "POST", "/status") == "post");
}

TEST_CASE("a more specific path beats a better method only when its method fits") {
  Router r;
  REQUIRE(r.add("*", "/api", true, named("any")) != 0);
  REQUIRE(r.add("GET", "/api/items", false, named("items")) != 0);
  REQUIRE(r.add("DELETE", "/api", true, named("delete")) != 0);
  CHECK(who(r, "GET", "/api/items") == "items");
  CHECK(who(r, "POST", "/api/items") == "any");
  CHECK(who(r, "DELETE", "/api/x") == "delete");
  CHECK(who(r, "PUT", "/api/x") == "any");
}

TEST_CASE("duplicate and invalid routes are refused and removal works") {
  Router r;
  auto id = r.add("GET", "/x", false, named("x"));
  REQUIRE(id != 0);
  CHECK(r.add("GET", "/x", false, named("again")) == 0);
  CHECK(r.add("GET", "/x", true, named("prefix")) != 0);
  CHECK(r.add("POST", "/x", false, named("post")) != 0);
  CHECK(r.add("GET", "relative", false, named("bad")) == 0);
  CHECK(r.add("", "/y", false, named("bad")) == 0);
  CHECK(r.add("GET", "/y", false, HttpHandler{}) == 0);
  CHECK(r.remove(id));
  CHECK_FALSE(r.remove(id));
  CHECK(who(r, "GET", "/x") == "prefix");
  CHECK(r.add("GET", "/x", false, named("x2")) != 0);
  CHECK(who(r, "GET", "/x") == "x2");
}

TEST_CASE("a handler matched before its route is removed stays usable") {
  Router r;
  auto id = r.add("GET", "/x", false, named("x"));
  RouteMatch m = r.match("GET", "/x");
  REQUIRE(m.kind == RouteMatch::Kind::Found);
  r.remove(id);
  std::string got;
  (*m.handler)(HttpRequest{}, [&got](HttpResponse res) { got = res.body; });
  CHECK(got == "x");
}

TEST_CASE("host:port endpoints are split and URLs formatted") {
  std::string why;
  auto a = split_host_port("127.0.0.1:8080", why);
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8080);
  auto b = split_host_port("[::1]:0", why);
  REQUIRE(b);
  CHECK(b->host == "::1");
  CHECK(b->port == 0);
  auto c = split_host_port("localhost:80", why);
  REQUIRE(c);
  CHECK(c->host == "localhost");
  CHECK_FALSE(split_host_port("127.0.0.1", why));
  CHECK_FALSE(split_host_port("::1:80", why));
  CHECK_FALSE(split_host_port("127.0.0.1:70000", why));
  CHECK_FALSE(split_host_port("127.0.0.1:", why));
  CHECK_FALSE(split_host_port(":80", why));
  CHECK_FALSE(split_host_port("[::1]80", why));
  CHECK(http_url_for("127.0.0.1", false, 80) == "http://127.0.0.1:80");
  CHECK(http_url_for("0.0.0.0", false, 81) == "http://127.0.0.1:81");
  CHECK(http_url_for("::", true, 82) == "http://[::1]:82");
  CHECK(http_url_for("::1", true, 83) == "http://[::1]:83");
}
