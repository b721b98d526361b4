// The request guard's decision (Host, Origin, Sec-Fetch-Site) and the eviction choice, as pure
// functions: no sockets.
#include "http/eviction.hpp"
#include "http/request_guard.hpp"
#include "http/security_headers.hpp"

#include <catch2/catch.hpp>

using namespace butter::host::http_detail;
using Refusal = GuardVerdict::Refusal;

namespace {

const EndpointIdentity kLoopback = make_identity("127.0.0.1", "127.0.0.1", 8700, {});

RequestFacts post(std::optional<std::string_view> host, std::optional<std::string_view> origin = std::nullopt,
                  std::optional<std::string_view> site = std::nullopt) {
  return RequestFacts{"POST", host, origin, site};
}

RequestFacts get(std::optional<std::string_view> host, std::optional<std::string_view> origin = std::nullopt,
                 std::optional<std::string_view> site = std::nullopt) {
  return RequestFacts{"GET", host, origin, site};
}

Refusal verdict(const EndpointIdentity& id, const RequestFacts& r) { return check_request(id, r).refusal; }

}  // namespace

TEST_CASE("guard: the identity lists loopback names the bound address and extra names") {
  auto id = make_identity("LocalHost", "192.168.1.5", 8080, {"Node1.LAN", "[::0:1]"});
  CHECK(id.port == 8080);
  CHECK_FALSE(id.wildcard);
  CHECK(id.hosts == std::vector<std::string>{"localhost", "127.0.0.1", "::1", "192.168.1.5", "node1.lan"});
  CHECK(make_identity("0.0.0.0", "0.0.0.0", 1, {}).wildcard);
  CHECK(make_identity("::", "::", 1, {}).wildcard);
  CHECK(make_identity("[::]", "::", 1, {}).wildcard);
}

TEST_CASE("guard: only GET HEAD and OPTIONS are read-only") {
  CHECK_FALSE(changes_state("GET"));
  CHECK_FALSE(changes_state("HEAD"));
  CHECK_FALSE(changes_state("OPTIONS"));
  CHECK(changes_state("POST"));
  CHECK(changes_state("PUT"));
  CHECK(changes_state("DELETE"));
  CHECK(changes_state("PATCH"));
  CHECK(changes_state("get"));  // methods are case-sensitive: an unknown method is not read-only
}

TEST_CASE("guard: Host must name this endpoint with its port or none") {
  CHECK(verdict(kLoopback, get("127.0.0.1:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, get("127.0.0.1")) == Refusal::kNone);
  CHECK(verdict(kLoopback, get("localhost:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, get("LOCALHOST:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, get("[::1]:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, get("[0:0:0:0:0:0:0:1]:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, get(" localhost:8700 ")) == Refusal::kNone);
  CHECK(verdict(kLoopback, get(std::nullopt)) == Refusal::kNone);  // HTTP/1.0 without Host: no browser

  auto foreign = check_request(kLoopback, get("evil.example:8700"));
  CHECK(foreign.refusal == Refusal::kHost);
  CHECK(foreign.status == 421);
  CHECK(foreign.reason.find("evil.example") != std::string::npos);
  CHECK(verdict(kLoopback, get("evil.example")) == Refusal::kHost);
  CHECK(verdict(kLoopback, get("127.0.0.1:8701")) == Refusal::kHost);
  CHECK(verdict(kLoopback, get("localhost:80")) == Refusal::kHost);
  CHECK(verdict(kLoopback, get("127.0.0.2:8700")) == Refusal::kHost);
  CHECK(verdict(kLoopback, get("192.168.1.5:8700")) == Refusal::kHost);
  CHECK(verdict(kLoopback, get("localhost.:8700")) == Refusal::kHost);
  CHECK(verdict(kLoopback, get("sub.localhost:8700")) == Refusal::kHost);
}

TEST_CASE("guard: a malformed Host is refused with a reason") {
  for (std::string_view bad :
       {"", ":8700", "::1:8700", "[::1", "[::1]x", "[evil]:8700", "localhost:", "localhost:x", "localhost:70000",
        "user@localhost:8700", "localhost/x", "local host", "localhost:8700:1"}) {
    INFO(bad);
    auto v = check_request(kLoopback, get(bad));
    CHECK(v.refusal == Refusal::kHost);
    CHECK(v.status == 421);
    CHECK_FALSE(v.reason.empty());
  }
  // A hostile value is quoted short and on one line.
  auto v = check_request(kLoopback, get(std::string(500, 'a') + "\x01"));
  CHECK(v.reason.size() < 300);
  CHECK(v.reason.find('\x01') == std::string::npos);
}

TEST_CASE("guard: Host is checked for reads and writes alike") {
  CHECK(verdict(kLoopback, get("evil.example:8700")) == Refusal::kHost);
  CHECK(verdict(kLoopback, RequestFacts{"HEAD", "evil.example:8700", {}, {}}) == Refusal::kHost);
  CHECK(verdict(kLoopback, RequestFacts{"OPTIONS", "evil.example:8700", {}, {}}) == Refusal::kHost);
  CHECK(verdict(kLoopback, post("evil.example:8700", "http://evil.example:8700", "same-origin")) == Refusal::kHost);
}

TEST_CASE("guard: a wildcard endpoint accepts IP literals and listed names only") {
  auto any4 = make_identity("0.0.0.0", "0.0.0.0", 8700, {"node1.lan"});
  CHECK(verdict(any4, get("192.168.1.5:8700")) == Refusal::kNone);
  CHECK(verdict(any4, get("10.0.0.1")) == Refusal::kNone);
  CHECK(verdict(any4, get("[fe80::1]:8700")) == Refusal::kNone);
  CHECK(verdict(any4, get("localhost:8700")) == Refusal::kNone);
  CHECK(verdict(any4, get("NODE1.lan:8700")) == Refusal::kNone);
  CHECK(verdict(any4, get("evil.example:8700")) == Refusal::kHost);
  CHECK(verdict(any4, get("192.168.1.5:9999")) == Refusal::kHost);
  CHECK(verdict(any4, get("1.2.3")) == Refusal::kHost);  // not an IPv4 literal: a DNS name, unlisted
  // Not a wildcard: the bound address only.
  auto one = make_identity("192.168.1.5", "192.168.1.5", 8700, {});
  CHECK(verdict(one, get("192.168.1.5:8700")) == Refusal::kNone);
  CHECK(verdict(one, get("192.168.1.6:8700")) == Refusal::kHost);
}

TEST_CASE("guard: a state change without Origin or Sec-Fetch-Site is allowed") {
  CHECK(verdict(kLoopback, post("127.0.0.1:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, post(std::nullopt)) == Refusal::kNone);
  CHECK(verdict(kLoopback, RequestFacts{"DELETE", "localhost:8700", {}, {}}) == Refusal::kNone);
}

TEST_CASE("guard: a state change from the endpoint's own origin is allowed") {
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "http://127.0.0.1:8700", "same-origin")) == Refusal::kNone);
  CHECK(verdict(kLoopback, post("localhost:8700", "http://localhost:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, post("[::1]:8700", "http://[::1]:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "HTTP://LocalHost:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "http://[0::1]:8700")) == Refusal::kNone);
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", std::nullopt, "same-origin")) == Refusal::kNone);
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", std::nullopt, "none")) == Refusal::kNone);  // typed by the user
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", std::nullopt, "Same-Origin")) == Refusal::kNone);
}

TEST_CASE("guard: a state change from another origin is refused 403") {
  auto evil = check_request(kLoopback, post("127.0.0.1:8700", "http://evil.example"));
  CHECK(evil.refusal == Refusal::kOrigin);
  CHECK(evil.status == 403);
  CHECK(evil.reason.find("cross-origin") != std::string::npos);
  CHECK(evil.reason.find("http://evil.example") != std::string::npos);
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "http://127.0.0.1:8701")) == Refusal::kOrigin);  // other port
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "http://127.0.0.1")) == Refusal::kOrigin);       // port 80
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "https://127.0.0.1:8700")) == Refusal::kOrigin);
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "null")) == Refusal::kOrigin);
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "")) == Refusal::kOrigin);
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "127.0.0.1:8700")) == Refusal::kOrigin);  // no scheme
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "http://127.0.0.1:8700/x")) == Refusal::kOrigin);
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "http://evil.example:8700")) == Refusal::kOrigin);
  CHECK(verdict(kLoopback, RequestFacts{"PUT", "127.0.0.1:8700", "http://evil.example", {}}) == Refusal::kOrigin);
  CHECK(verdict(kLoopback, RequestFacts{"DELETE", "127.0.0.1:8700", "null", {}}) == Refusal::kOrigin);
}

TEST_CASE("guard: a null Origin explains itself") {
  auto v = check_request(kLoopback, post("127.0.0.1:8700", "null"));
  CHECK(v.status == 403);
  CHECK(v.reason.find("null") != std::string::npos);
}

TEST_CASE("guard: Sec-Fetch-Site other than same-origin or none refuses a state change") {
  for (std::string_view site : {"cross-site", "same-site", "CROSS-SITE", "bogus", ""}) {
    INFO(site);
    auto v = check_request(kLoopback, post("127.0.0.1:8700", std::nullopt, site));
    CHECK(v.refusal == Refusal::kFetchSite);
    CHECK(v.status == 403);
  }
  // Even with a matching Origin: a same-site page on another port says same-site.
  CHECK(verdict(kLoopback, post("127.0.0.1:8700", "http://127.0.0.1:8700", "same-site")) == Refusal::kFetchSite);
}

TEST_CASE("guard: reads may come from any origin") {
  CHECK(verdict(kLoopback, get("127.0.0.1:8700", "http://evil.example", "cross-site")) == Refusal::kNone);
  CHECK(verdict(kLoopback, RequestFacts{"HEAD", "127.0.0.1:8700", "null", "cross-site"}) == Refusal::kNone);
  CHECK(verdict(kLoopback, RequestFacts{"OPTIONS", "127.0.0.1:8700", "http://evil.example", "cross-site"}) ==
        Refusal::kNone);
}

TEST_CASE("guard: on a wildcard endpoint an IP Origin must be the address the request was sent to") {
  auto any = make_identity("0.0.0.0", "0.0.0.0", 8700, {});
  CHECK(verdict(any, post("192.168.1.5:8700", "http://192.168.1.5:8700", "same-origin")) == Refusal::kNone);
  // Another machine's page on the same port is not this endpoint's origin.
  CHECK(verdict(any, post("192.168.1.5:8700", "http://192.168.1.9:8700")) == Refusal::kOrigin);
  CHECK(verdict(any, post("127.0.0.1:8700", "http://10.0.0.9:8700")) == Refusal::kOrigin);
  CHECK(verdict(any, post(std::nullopt, "http://10.0.0.9:8700")) == Refusal::kOrigin);
  CHECK(verdict(any, post(std::nullopt, "http://localhost:8700")) == Refusal::kNone);
}

TEST_CASE("guard: listed extra names count as this endpoint's origin") {
  auto id = make_identity("0.0.0.0", "0.0.0.0", 8700, {"node1.lan"});
  CHECK(verdict(id, post("node1.lan:8700", "http://node1.lan:8700", "same-origin")) == Refusal::kNone);
  CHECK(verdict(id, post("node1.lan:8700", "http://node2.lan:8700")) == Refusal::kOrigin);
}

TEST_CASE("guard: refusals have stable metric names") {
  CHECK(refusal_name(Refusal::kHost) == "host");
  CHECK(refusal_name(Refusal::kOrigin) == "origin");
  CHECK(refusal_name(Refusal::kFetchSite) == "fetch_site");
  CHECK(refusal_name(Refusal::kNone).empty());
}

TEST_CASE("security headers are added only when the handler did not set them") {
  std::vector<std::pair<std::string, std::string>> h{{"content-security-policy", "default-src 'none'"}, {"X-A", "1"}};
  add_security_headers(h);
  CHECK(h.size() == 4);
  CHECK(h[0].second == "default-src 'none'");
  CHECK(h[2] == std::pair<std::string, std::string>{"X-Frame-Options", "DENY"});
  CHECK(h[3] == std::pair<std::string, std::string>{"X-Content-Type-Options", "nosniff"});
  std::vector<std::pair<std::string, std::string>> none;
  add_security_headers(none);
  REQUIRE(none.size() == 3);
  CHECK(none[2].first == "Content-Security-Policy");
  CHECK(none[2].second.find("frame-ancestors 'none'") != std::string::npos);
}

TEST_CASE("eviction closes a closing then the longest idle then the longest receiving connection") {
  using std::chrono::seconds;
  const auto t0 = std::chrono::steady_clock::time_point{} + seconds(100);
  CHECK_FALSE(pick_eviction({}));
  CHECK_FALSE(pick_eviction({{1, SessionPhase::kBusy, t0}, {2, SessionPhase::kBusy, t0 - seconds(50)}}));
  CHECK(pick_eviction({{1, SessionPhase::kBusy, t0 - seconds(9)},
                       {2, SessionPhase::kReceiving, t0 - seconds(5)},
                       {3, SessionPhase::kIdle, t0 - seconds(1)},
                       {4, SessionPhase::kIdle, t0 - seconds(2)}}) == 4u);
  CHECK(pick_eviction({{1, SessionPhase::kReceiving, t0 - seconds(1)},
                       {2, SessionPhase::kReceiving, t0 - seconds(3)},
                       {3, SessionPhase::kBusy, t0 - seconds(9)}}) == 2u);
  CHECK(pick_eviction({{1, SessionPhase::kIdle, t0 - seconds(9)}, {2, SessionPhase::kClosing, t0}}) == 2u);
}
