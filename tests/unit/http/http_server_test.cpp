// The HTTP endpoint over real loopback sockets: routing, bodies, limits, asynchronous answers,
// failures, keep-alive, stop.
#include "harness.hpp"

#include <boost/asio/dispatch.hpp>

#include <mutex>

using namespace butter;
using namespace butter::test;
using host::HttpRequest;
using host::HttpResponder;
using host::HttpResponse;

TEST_CASE("GET of a route answers with its body and headers") {
  Loop loop;
  Served s(loop);
  CHECK(s.server.url() == "http://127.0.0.1:" + std::to_string(s.port));
  HttpRequest seen;
  s.server.add_route("GET", "/status", false, [&](const HttpRequest& req, HttpResponder respond) {
    seen = req;
    HttpResponse r;
    r.content_type = "application/json";
    r.body = "{\"ok\":true}";
    r.headers.emplace_back("X-Butter", "yes");
    respond(r);
  });
  auto res = s.request("GET", "/status?x=1&y=2");
  CHECK(res.status == 200);
  CHECK(res.body == "{\"ok\":true}");
  CHECK(res.content_type == "application/json");
  CHECK(res.header("Server") == "butter");
  CHECK(res.header("X-Butter") == "yes");
  CHECK(res.header("Content-Length") == "11");
  CHECK(seen.method == "GET");
  CHECK(seen.target == "/status?x=1&y=2");
  CHECK(seen.path == "/status");
  CHECK(seen.query == "x=1&y=2");
  CHECK(seen.remote.rfind("127.0.0.1:", 0) == 0);
  bool has_host = false;
  for (const auto& [n, v] : seen.headers) has_host = has_host || n == "Host";
  CHECK(has_host);

  auto via_url = http_get(s.server.url() + "/status");
  CHECK(via_url.status == 200);
}

TEST_CASE("prefix routes serve what is below them and the longest prefix wins") {
  Loop loop;
  Served s(loop);
  s.server.add_route("GET", "/wiki", true,
                     [](const HttpRequest& req, HttpResponder respond) { respond(text("wiki " + req.path)); });
  s.server.add_route("GET", "/wiki/special", true, answer("special"));
  s.server.add_route("GET", "/wiki/special/exact", false, answer("exact"));
  CHECK(s.request("GET", "/wiki").body == "wiki /wiki");
  CHECK(s.request("GET", "/wiki/Main_Page").body == "wiki /wiki/Main_Page");
  CHECK(s.request("GET", "/wiki/special/x").body == "special");
  CHECK(s.request("GET", "/wiki/special/exact").body == "exact");
  CHECK(s.request("GET", "/wikipedia").status == 404);
}

TEST_CASE("unknown paths get 404 and other methods 405 with Allow") {
  Loop loop;
  Served s(loop);
  s.server.add_route("GET", "/status", false, answer("ok"));
  s.server.add_route("PUT", "/status", false, answer("put"));
  CHECK(s.request("GET", "/nothing").status == 404);
  auto res = s.request("POST", "/status", "x");
  CHECK(res.status == 405);
  CHECK(res.header("Allow") == "GET, HEAD, PUT");
  CHECK(res.header("Server") == "butter");
  CHECK(s.request("PUT", "/status", "x").body == "put");
}

TEST_CASE("HEAD is answered like GET without a body") {
  Loop loop;
  Served s(loop);
  s.server.add_route("GET", "/page", false, answer("hello world"));
  auto res = s.request("HEAD", "/page");
  CHECK(res.status == 200);
  CHECK(res.body.empty());
  CHECK(res.header("Content-Length") == "11");
}

TEST_CASE("a duplicate route is refused and a removed route is gone") {
  Loop loop;
  Served s(loop);
  auto id = s.server.add_route("GET", "/x", false, answer("one"));
  REQUIRE(id != 0);
  CHECK(s.server.add_route("GET", "/x", false, answer("two")) == 0);
  CHECK(s.request("GET", "/x").body == "one");
  s.server.remove_route(id);
  CHECK(s.request("GET", "/x").status == 404);
  CHECK(s.server.add_route("GET", "/x", false, answer("three")) != 0);
  CHECK(s.request("GET", "/x").body == "three");
}

TEST_CASE("a POST body reaches the handler and is echoed") {
  Loop loop;
  Served s(loop);
  s.server.add_route("POST", "/echo", false, [](const HttpRequest& req, HttpResponder respond) {
    HttpResponse r;
    r.content_type = "application/octet-stream";
    r.body = req.body;
    respond(r);
  });
  CHECK(s.request("POST", "/echo", "hello").body == "hello");
  std::string big(300 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  auto res = s.request("POST", "/echo", big);
  CHECK(res.status == 200);
  CHECK(res.body == big);
  CHECK(s.request("POST", "/echo").body.empty());
}

TEST_CASE("a body over the limit gets 413") {
  Loop loop;
  auto opts = loopback_options();
  opts.max_body_bytes = 1024;
  Served s(loop, opts);
  std::atomic<int> calls{0};
  s.server.add_route("POST", "/echo", false, [&](const HttpRequest& req, HttpResponder respond) {
    ++calls;
    respond(text(req.body));
  });
  CHECK(s.request("POST", "/echo", std::string(1024, 'a')).status == 200);
  auto res = s.request("POST", "/echo", std::string(64 * 1024, 'b'));
  CHECK(res.status == 413);
  CHECK(res.header("Connection") == "close");
  // Chunked bodies have no length up front; the limit still holds.
  std::string chunked = "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) chunked += "200\r\n" + std::string(512, 'c') + "\r\n";
  chunked += "0\r\n\r\n";
  auto raw = raw_exchange("127.0.0.1", s.port, chunked);
  CHECK(raw.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(calls == 1);
}

TEST_CASE("a malformed request gets 400 and closes only that connection") {
  Loop loop;
  Served s(loop);
  s.server.add_route("GET", "/status", false, answer("ok"));
  HttpConnection other("127.0.0.1", s.port);
  CHECK(other.request("GET", "/status").body == "ok");

  auto raw = raw_exchange("127.0.0.1", s.port, "THIS IS NOT HTTP\r\n\r\n");
  CHECK(raw.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(raw.find("Server: butter") != std::string::npos);
  raw = raw_exchange("127.0.0.1", s.port, "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: banana\r\n\r\n");
  CHECK(raw.rfind("HTTP/1.1 400", 0) == 0);

  CHECK(other.request("GET", "/status").body == "ok");
  CHECK(s.request("GET", "/status").body == "ok");
}

TEST_CASE("a handler may answer later and from another thread") {
  Loop loop;
  Served s(loop);
  std::mutex mu;
  std::vector<HttpResponder> pending;
  s.server.add_route("GET", "/later", false, [&](const HttpRequest&, HttpResponder respond) {
    std::lock_guard lock(mu);
    pending.push_back(std::move(respond));
  });
  auto result = std::async(std::launch::async, [&] { return s.request("GET", "/later"); });
  REQUIRE(wait_until([&] {
    std::lock_guard lock(mu);
    return pending.size() == 1;
  }));
  HttpResponder respond;
  {
    std::lock_guard lock(mu);
    respond = pending.front();
  }
  // On the strand, as the interface asks; a second call is ignored.
  boost::asio::post(loop.strand, [respond] {
    respond(text("late"));
    respond(text("twice"));
  });
  auto res = result.get();
  CHECK(res.status == 200);
  CHECK(res.body == "late");

  // From a foreign thread it is carried over to the strand.
  auto second = std::async(std::launch::async, [&] { return s.request("GET", "/later"); });
  REQUIRE(wait_until([&] {
    std::lock_guard lock(mu);
    return pending.size() == 2;
  }));
  {
    std::lock_guard lock(mu);
    respond = pending.back();
  }
  respond(text("from a thread"));
  CHECK(second.get().body == "from a thread");
  // A stale responder of an earlier request on the same connection changes nothing.
  pending.front()(text("stale"));
}

TEST_CASE("handlers run on the strand") {
  Loop loop;
  Served s(loop);
  std::atomic<bool> on_strand{false};
  s.server.add_route("GET", "/where", false, [&](const HttpRequest&, HttpResponder respond) {
    on_strand = loop.strand.running_in_this_thread();
    respond(text("here"));
  });
  CHECK(s.request("GET", "/where").body == "here");
  CHECK(on_strand);
}

TEST_CASE("a handler that throws gets 500 and the server keeps serving") {
  Loop loop;
  Served s(loop);
  s.server.add_route("GET", "/boom", false,
                     [](const HttpRequest&, HttpResponder) -> void { throw std::runtime_error("boom"); });
  s.server.add_route("GET", "/int", false, [](const HttpRequest&, HttpResponder) -> void { throw 42; });
  s.server.add_route("GET", "/answered", false, [](const HttpRequest&, HttpResponder respond) -> void {
    respond(text("first"));
    throw std::runtime_error("after answering");
  });
  s.server.add_route("GET", "/bad-status", false,
                     [](const HttpRequest&, HttpResponder respond) { respond(text("x", 42)); });
  s.server.add_route("GET", "/ok", false, answer("ok"));
  HttpConnection conn("127.0.0.1", s.port);
  CHECK(conn.request("GET", "/boom").status == 500);
  CHECK(conn.request("GET", "/int").status == 500);
  CHECK(conn.request("GET", "/answered").body == "first");
  CHECK(conn.request("GET", "/bad-status").status == 500);
  CHECK(conn.request("GET", "/ok").body == "ok");
}

TEST_CASE("two requests share one keep-alive connection") {
  Loop loop;
  Served s(loop);
  std::vector<std::string> remotes;
  s.server.add_route("GET", "/who", false, [&](const HttpRequest& req, HttpResponder respond) {
    remotes.push_back(req.remote);
    respond(text(req.remote));
  });
  HttpConnection conn("127.0.0.1", s.port);
  auto a = conn.request("GET", "/who");
  auto b = conn.request("GET", "/who");
  CHECK(a.status == 200);
  CHECK(b.status == 200);
  CHECK(a.header("Connection") != "close");
  CHECK(a.body == b.body);
  // Two requests sent at once are answered in order.
  auto raw = raw_exchange(
      "127.0.0.1", s.port,
      "GET /who HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /who HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  auto first = raw.find("HTTP/1.1 200");
  REQUIRE(first != std::string::npos);
  CHECK(raw.find("HTTP/1.1 200", first + 1) != std::string::npos);
  loop.on_strand([&] {
    REQUIRE(remotes.size() == 4);
    CHECK(remotes[0] == remotes[1]);
    CHECK(remotes[2] == remotes[3]);
    return 0;
  });
}

TEST_CASE("stop closes the listener and connected clients") {
  Loop loop;
  auto s = std::make_unique<Served>(loop);
  HttpResponder held;
  std::atomic<bool> called{false};
  s->server.add_route("GET", "/ok", false, answer("ok"));
  s->server.add_route("GET", "/hold", false, [&](const HttpRequest&, HttpResponder respond) {
    held = std::move(respond);
    called = true;
  });
  HttpConnection idle("127.0.0.1", s->port);
  CHECK(idle.request("GET", "/ok").body == "ok");
  auto waiting = std::async(std::launch::async, [&] {
    try {
      return http_request("127.0.0.1", s->port, "GET", "/hold").status;
    } catch (const std::runtime_error&) {
      return -1;
    }
  });
  REQUIRE(wait_until([&] { return called.load(); }));

  s->server.stop();
  CHECK(idle.closed_by_peer());
  CHECK(waiting.get() == -1);
  CHECK_THROWS_AS(http_request("127.0.0.1", s->port, "GET", "/ok"), std::runtime_error);
  s->server.stop();  // twice is harmless

  // Answering after stop, and after the server is gone, is harmless.
  loop.on_strand([&] {
    held(text("too late"));
    return 0;
  });
  s.reset();
  loop.on_strand([&] {
    held(text("much too late"));
    return 0;
  });
}

TEST_CASE("destroying a server while clients are connected is safe") {
  Loop loop;
  auto s = std::make_unique<Served>(loop);
  s->server.add_route("GET", "/ok", false, answer("ok"));
  HttpConnection idle("127.0.0.1", s->port);
  CHECK(idle.request("GET", "/ok").body == "ok");
  s.reset();
  CHECK(idle.closed_by_peer());
}

TEST_CASE("binding a port in use reports why") {
  Loop loop;
  Served first(loop);
  auto opts = loopback_options();
  opts.endpoint = "127.0.0.1:" + std::to_string(first.port);
  host::HttpServer second(loop.io, loop.strand, opts);
  auto err = second.start();
  REQUIRE(err);
  CHECK(err.code == BUTTER_E_UNAVAILABLE);
  CHECK(err.message == "cannot listen on " + opts.endpoint + ": Address already in use");

  opts.endpoint = "127.0.0.1";
  host::HttpServer third(loop.io, loop.strand, opts);
  err = third.start();
  REQUIRE(err);
  CHECK(err.code == BUTTER_E_INVALID);
  CHECK(err.message.find("127.0.0.1") != std::string::npos);

  CHECK(first.server.start());  // already started
}

TEST_CASE("an IPv6 loopback endpoint works when the host has IPv6") {
  Loop loop;
  auto opts = loopback_options();
  opts.endpoint = "[::1]:0";
  host::HttpServer server(loop.io, loop.strand, opts);
  if (auto err = server.start()) {
    WARN("no IPv6 loopback here: " << err.message);
    return;
  }
  server.add_route("GET", "/v6", false, answer("six"));
  CHECK(server.url().rfind("http://[::1]:", 0) == 0);
  CHECK(http_get(server.url() + "/v6").body == "six");
}

TEST_CASE("connections over the limit are closed at once while all are being answered") {
  Loop loop;
  auto opts = loopback_options();
  opts.max_connections = 1;
  Served s(loop, opts);
  s.server.add_route("GET", "/ok", false, answer("ok"));
  std::atomic<bool> called{false};
  HttpResponder held;
  s.server.add_route("GET", "/held", false, [&](const HttpRequest&, HttpResponder respond) {
    held = std::move(respond);
    called = true;
  });
  auto first = std::async(std::launch::async, [&] { return s.request("GET", "/held"); });
  REQUIRE(wait_until([&] { return called.load(); }));
  CHECK_THROWS_AS(s.request("GET", "/ok"), std::runtime_error);
  CHECK(s.server.stats().connections_refused >= 1);
  loop.on_strand([&] {
    held(text("done"));
    return 0;
  });
  CHECK(first.get().body == "done");
  // Once the first one is gone, a new one is served.
  CHECK(wait_until([&] {
    try {
      return s.request("GET", "/ok").body == "ok";
    } catch (const std::runtime_error&) {
      return false;
    }
  }));
}

TEST_CASE("a request that does not arrive in time closes the connection") {
  Loop loop;
  auto opts = loopback_options();
  opts.header_timeout = std::chrono::milliseconds(200);
  opts.idle_timeout = std::chrono::milliseconds(200);
  opts.request_timeout = std::chrono::milliseconds(200);
  Served s(loop, opts);
  s.server.add_route("GET", "/ok", false, answer("ok"));
  s.server.add_route("GET", "/never", false, [](const HttpRequest&, HttpResponder) {});
  auto started = std::chrono::steady_clock::now();
  auto raw = raw_exchange("127.0.0.1", s.port, "GET /ok HTTP/1.1\r\nHost:", std::chrono::seconds(5));
  CHECK(raw.empty());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(4));

  HttpConnection idle("127.0.0.1", s.port);
  CHECK(idle.request("GET", "/ok").body == "ok");
  CHECK(idle.closed_by_peer());

  // A handler that never answers gets 504 after the same timeout.
  CHECK(s.request("GET", "/never").status == 504);
}

TEST_CASE("removing a route while its request is in flight still lets it answer") {
  Loop loop;
  Served s(loop);
  std::atomic<bool> called{false};
  HttpResponder held;
  auto id = s.server.add_route("GET", "/slow", false, [&](const HttpRequest&, HttpResponder respond) {
    held = std::move(respond);
    called = true;
  });
  auto result = std::async(std::launch::async, [&] { return s.request("GET", "/slow"); });
  REQUIRE(wait_until([&] { return called.load(); }));
  s.server.remove_route(id);
  loop.on_strand([&] {
    held(text("still here"));
    return 0;
  });
  CHECK(result.get().body == "still here");
  CHECK(s.request("GET", "/slow").status == 404);
}

TEST_CASE("a client expecting 100-continue gets it before the answer") {
  Loop loop;
  Served s(loop);
  s.server.add_route("POST", "/echo", false,
                     [](const HttpRequest& req, HttpResponder respond) { respond(text(req.body)); });
  auto raw = raw_exchange("127.0.0.1", s.port,
                          "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"
                          "Connection: close\r\n\r\nhello");
  CHECK(raw.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 0) == 0);
  CHECK(raw.size() >= 5);
  CHECK(raw.substr(raw.size() - 5) == "hello");
}
