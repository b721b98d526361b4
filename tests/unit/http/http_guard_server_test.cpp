// The request guard and the security headers on a real server over loopback sockets: refused
// requests never reach a handler, allowed ones do, and every answer carries the headers.
#include "harness.hpp"

#include <atomic>

using namespace butter;
using namespace butter::test;
using host::HttpRequest;
using host::HttpResponder;

namespace {

struct Counted {
  explicit Counted(Served& s) {
    s.server.add_route("POST", "/change", false, [this](const HttpRequest&, HttpResponder respond) {
      ++calls;
      respond(text("changed"));
    });
    s.server.add_route("GET", "/read", false, [this](const HttpRequest&, HttpResponder respond) {
      ++calls;
      respond(text("read"));
    });
  }
  std::atomic<int> calls{0};
};

}  // namespace

TEST_CASE("guard over sockets: a cross-origin POST is refused before its handler runs") {
  Loop loop;
  Served s(loop);
  Counted c(s);
  const std::string self = "http://127.0.0.1:" + std::to_string(s.port);

  auto evil = http_request_with("127.0.0.1", s.port, "POST", "/change", {{"Origin", "http://evil.example"}}, "x");
  CHECK(evil.status == 403);
  CHECK(evil.body.find("cross-origin request refused") != std::string::npos);
  auto site = http_request_with("127.0.0.1", s.port, "POST", "/change", {{"Sec-Fetch-Site", "cross-site"}}, "x");
  CHECK(site.status == 403);
  auto null = http_request_with("127.0.0.1", s.port, "POST", "/change", {{"Origin", "null"}}, "x");
  CHECK(null.status == 403);
  // Also for a route that does not exist: nothing about the node leaks to a foreign page.
  CHECK(http_request_with("127.0.0.1", s.port, "POST", "/nothing", {{"Origin", "http://evil.example"}}).status == 403);
  CHECK(c.calls == 0);

  auto same = http_request_with("127.0.0.1", s.port, "POST", "/change",
                                {{"Origin", self}, {"Sec-Fetch-Site", "same-origin"}}, "x");
  CHECK(same.status == 200);
  CHECK(same.body == "changed");
  CHECK(s.request("POST", "/change", "x").status == 200);  // no Origin, no Sec-Fetch-Site: curl
  // Reads may come from anywhere (the answer is not readable cross-origin without CORS anyway).
  CHECK(http_request_with("127.0.0.1", s.port, "GET", "/read", {{"Origin", "http://evil.example"}}).status == 200);
  CHECK(c.calls == 3);

  auto st = s.server.stats();
  CHECK(st.refused_origin == 3);
  CHECK(st.refused_fetch_site == 1);
  CHECK(st.refused_host == 0);
}

TEST_CASE("guard over sockets: a foreign Host is refused 421 for reads and writes") {
  Loop loop;
  Served s(loop);
  Counted c(s);
  const std::string port = std::to_string(s.port);
  auto read = http_request_with("127.0.0.1", s.port, "GET", "/read", {{"Host", "evil.example:" + port}});
  CHECK(read.status == 421);
  CHECK(read.body.find("evil.example") != std::string::npos);
  CHECK(http_request_with("127.0.0.1", s.port, "GET", "/read", {{"Host", "evil.example"}}).status == 421);
  CHECK(http_request_with("127.0.0.1", s.port, "POST", "/change", {{"Host", "evil.example:" + port}}, "x").status ==
        421);
  CHECK(http_request_with("127.0.0.1", s.port, "GET", "/read", {{"Host", "127.0.0.1:1"}}).status == 421);
  CHECK(c.calls == 0);
  CHECK(s.server.stats().refused_host == 4);

  CHECK(http_request_with("127.0.0.1", s.port, "GET", "/read", {{"Host", "localhost:" + port}}).status == 200);
  CHECK(http_request_with("127.0.0.1", s.port, "GET", "/read", {{"Host", "LOCALHOST"}}).status == 200);
  CHECK(http_request_with("127.0.0.1", s.port, "GET", "/read", {{"Host", "[::1]:" + port}}).status == 200);
  CHECK(c.calls == 3);
}

TEST_CASE("guard over sockets: names in allowed_hosts are accepted") {
  Loop loop;
  auto opts = loopback_options();
  opts.allowed_hosts = {"node1.example"};
  Served s(loop, opts);
  Counted c(s);
  const std::string origin = "http://node1.example:" + std::to_string(s.port);
  CHECK(http_request_with("127.0.0.1", s.port, "GET", "/read", {{"Host", "node1.example"}}).status == 200);
  CHECK(http_request_with("127.0.0.1", s.port, "POST", "/change",
                          {{"Host", "node1.example:" + std::to_string(s.port)}, {"Origin", origin}}, "x")
            .status == 200);
  CHECK(http_request_with("127.0.0.1", s.port, "GET", "/read", {{"Host", "node2.example"}}).status == 421);
}

TEST_CASE("answers carry the security headers unless the handler set its own") {
  Loop loop;
  Served s(loop);
  s.server.add_route("GET", "/plain", false, answer("x"));
  s.server.add_route("GET", "/own", false, [](const HttpRequest&, HttpResponder respond) {
    auto r = text("own");
    r.headers.emplace_back("Content-Security-Policy", "default-src 'none'");
    respond(r);
  });
  auto has_all = [](const HttpResult& r) {
    return r.header("X-Frame-Options") == "DENY" && r.header("X-Content-Type-Options") == "nosniff" &&
           r.header("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos;
  };
  CHECK(has_all(s.request("GET", "/plain")));
  CHECK(has_all(s.request("GET", "/nothing")));  // 404
  CHECK(has_all(s.request("HEAD", "/plain")));
  CHECK(has_all(http_request_with("127.0.0.1", s.port, "GET", "/plain", {{"Host", "evil.example"}})));  // 421
  auto own = s.request("GET", "/own");
  CHECK(own.header("Content-Security-Policy") == "default-src 'none'");
  int csp = 0;
  for (const auto& [n, v] : own.headers) csp += n == "Content-Security-Policy";
  CHECK(csp == 1);
  CHECK(own.header("X-Frame-Options") == "DENY");
}
