// The host conformance cases (tests/support/host_conformance.hpp) on the SDK's fake host
// (butter/testing.hpp); tests/integration/node/host_conformance_test.cpp runs them on a node.
// Also what the fake host adds for plugin authors: route choice as ext/http.h states it, the
// node's own 404/405/413, a configurable frame limit.
#include "support/host_conformance.hpp"

#include <butter/testing.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {
void ignore_request(void*, const butter_http_request*) {}
}  // namespace

TEST_CASE("the fake host does what the SDK headers promise in every host conformance case") {
  butter::testing::Host host;
  const auto cases = butter::test::run_host_conformance(host.host());
  CHECK(cases.size() >= 18);
  for (const auto& c : cases) {
    INFO("case " << c.name << " answered " << c.got);
    CHECK(c.held);
  }
  CHECK(host.wrong_thread_calls == 3);  // the thread-rule cases, counted
  CHECK(host.routes.empty());           // the cases leave nothing behind
  CHECK(host.timers.empty());
}

TEST_CASE("the fake host chooses routes as ext/http.h says and answers 404, 405 and 413 itself") {
  butter::testing::Host host;
  const auto* http = static_cast<const butter_http_v1*>(host.host()->get_extension(host.host(), BUTTER_EXT_HTTP));
  REQUIRE(http);
  // Each route records its name when its handler runs.
  std::string last;
  struct Route {
    std::string name;
    std::string* last;
  };
  std::vector<std::unique_ptr<Route>> recs;
  std::vector<std::uint64_t> ids;
  auto add = [&](const char* method, const char* path, int prefix, const char* name) {
    recs.push_back(std::make_unique<Route>(Route{name, &last}));
    std::uint64_t id = 0;
    REQUIRE(http->route(
                host.host(), butter::testing::str(method), butter::testing::str(path), prefix,
                [](void* user, const butter_http_request*) {
                  auto* r = static_cast<Route*>(user);
                  *r->last = r->name;
                },
                recs.back().get(), &id, nullptr) == BUTTER_OK);
    ids.push_back(id);
  };
  add("*", "/api", 1, "any under /api");
  add("GET", "/api/items", 1, "GET under /api/items");
  add("POST", "/api/items/1", 0, "POST /api/items/1");
  add("GET", "/api/items/1", 0, "GET /api/items/1");
  auto served_by = [&](const char* method, const char* path, const std::string& body = {}) -> std::string {
    last.clear();
    return host.call(method, path, {}, body) ? last : "node answered " + std::to_string(host.refused_status);
  };
  // Exact beats prefix; among the exact path's routes the method decides, GET serving HEAD.
  CHECK(served_by("GET", "/api/items/1") == "GET /api/items/1");
  CHECK(served_by("POST", "/api/items/1") == "POST /api/items/1");
  CHECK(served_by("HEAD", "/api/items/1") == "GET /api/items/1");
  // The path decides first: no route on the exact path takes DELETE, so 405, although the prefix
  // route "*" under /api would take it.
  CHECK(served_by("DELETE", "/api/items/1") == "node answered 405");
  // The longest prefix wins, and its path takes only GET.
  CHECK(served_by("GET", "/api/items/2") == "GET under /api/items");
  CHECK(served_by("PUT", "/api/items/2") == "node answered 405");
  CHECK(served_by("PUT", "/api/other") == "any under /api");
  CHECK(served_by("GET", "/elsewhere") == "node answered 404");
  CHECK(served_by("POST", "/api/items/1", std::string(BUTTER_HTTP_MAX_BODY + 1, 'b')) == "node answered 413");
  CHECK(served_by("POST", "/api/items/1", std::string(BUTTER_HTTP_MAX_BODY, 'b')) == "POST /api/items/1");
  // A route taken for the same method and path is refused.
  CHECK(http->route(host.host(), butter::testing::str("GET"), butter::testing::str("/api/items/1"), 0, ignore_request,
                    nullptr, nullptr, nullptr) == BUTTER_E_INVALID);
  for (auto id : ids) http->unroute(host.host(), id);
  CHECK(host.routes.empty());
}

TEST_CASE("the fake host refuses a message over its max_frame_bytes as a node with that limit would") {
  butter::testing::Host host;
  host.max_frame_bytes = 1024;
  const auto* net = static_cast<const butter_net_v1*>(host.host()->get_extension(host.host(), BUTTER_EXT_NET));
  REQUIRE(net);
  const std::string protocol = "/tp/1";
  const std::size_t fits = 1024 - BUTTER_NET_FRAME_OVERHEAD - protocol.size();
  const std::string ok(fits, 'x'), over(fits + 1, 'x');
  butter_error err;
  butter_error_init(&err);
  CHECK(net->send(host.host(), butter::testing::str("peer"), butter::testing::str(protocol), butter::testing::bytes(ok),
                  &err) == BUTTER_OK);
  CHECK(net->send(host.host(), butter::testing::str("peer"), butter::testing::str(protocol),
                  butter::testing::bytes(over), &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message).find("max_frame_bytes") != std::string::npos);
  REQUIRE(host.sent.size() == 1);
  CHECK(host.sent[0].payload.size() == fits);
}
