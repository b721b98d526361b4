// The C++ wrapper (butter/plugin.hpp) against the fake host, part 2: replies and requests, timers,
// HTTP routes, provided interfaces and state, metrics, log and format, on the plugins of
// probe_plugins.hpp (served by wrapper_test.cpp's `butter_entry`).
#include "probe_plugins.hpp"

using namespace butter::test::sdk;

TEST_CASE("request handlers reply through the Reply", "[sdk][net]") {
  fake::Host host;
  host.config["name"] = std::string("p");
  fake::Instance i(factory(), host, "test.probe");
  REQUIRE(i.init() == BUTTER_OK);

  SECTION("an answer") {
    const auto t = host.deliver("/t/ok", "hello");
    const auto* r = host.reply_for(t);
    REQUIRE(r != nullptr);
    CHECK(r->status == BUTTER_OK);
    CHECK(r->payload == "p:hello");
  }
  SECTION("a throwing handler answers BUTTER_E_INTERNAL with the message") {
    const auto t = host.deliver("/t/throw", "x");
    const auto* r = host.reply_for(t);
    REQUIRE(r != nullptr);
    CHECK(r->status == BUTTER_E_INTERNAL);
    CHECK(r->payload == "boom in handler");
    CHECK(host.logged("handler for /t/throw: boom in handler"));
  }
  SECTION("a handler throwing butter::Error answers its code") {
    const auto* r = host.reply_for(host.deliver("/t/not-found", "x"));
    REQUIRE(r != nullptr);
    CHECK(r->status == BUTTER_E_NOT_FOUND);
    CHECK(r->payload == "no such thing");
  }
  SECTION("a dropped Reply answers handler did not reply") {
    const auto* r = host.reply_for(host.deliver("/t/drop", "x"));
    REQUIRE(r != nullptr);
    CHECK(r->status == BUTTER_E_INTERNAL);
    CHECK(r->payload == "handler did not reply");
  }
  SECTION("a moved Reply answers later exactly once") {
    const auto t = host.deliver("/t/later", "q");
    CHECK(host.reply_for(t) == nullptr);
    CHECK(probe(i).later_.pending());
    probe(i).answer_later();
    const auto* r = host.reply_for(t);
    REQUIRE(r != nullptr);
    CHECK(r->status == BUTTER_OK);
    CHECK(r->payload == "later:q");
    CHECK_FALSE(probe(i).later_.pending());
    CHECK(host.replies.size() == 1);
  }
  SECTION("a moved Reply still pending at destroy answers handler did not reply") {
    const auto t = host.deliver("/t/later", "q");
    i.destroy();
    const auto* r = host.reply_for(t);
    REQUIRE(r != nullptr);
    CHECK(r->payload == "handler did not reply");
  }
  SECTION("a second answer is refused by the wrapper") {
    const auto t = host.deliver("/t/twice", "x");
    const auto* r = host.reply_for(t);
    REQUIRE(r != nullptr);
    CHECK(r->payload == "first");
    CHECK(host.replies.size() == 1);
  }
  SECTION("one-way messages reach one-argument handlers and need no reply") {
    host.deliver("/t/note", "n1", false);
    host.deliver("/t/note", "n2", false);
    CHECK(probe(i).notes_ == std::vector<std::string>{"n1", "n2"});
    CHECK(host.replies.empty());
  }
  SECTION("a request to a one-argument handler is answered handler did not reply") {
    const auto* r = host.reply_for(host.deliver("/t/note", "n", true));
    REQUIRE(r != nullptr);
    CHECK(r->payload == "handler did not reply");
  }
  SECTION("a handler may unhandle its own protocol") {
    const auto* r = host.reply_for(host.deliver("/t/unhandle-self", "x"));
    REQUIRE(r != nullptr);
    CHECK(r->payload == "bye");
    CHECK(host.handlers.count("/t/unhandle-self") == 0);
  }
  SECTION("registering a protocol again replaces the handler") {
    auto& p = probe(i);
    p.on("/t/ok", [](const butter::Request&, butter::Reply& reply) { reply.ok("replaced"); });
    CHECK(host.reply_for(host.deliver("/t/ok", "x"))->payload == "replaced");
  }
  SECTION("a protocol another instance handles fails with butter::Error") {
    host.handlers["/taken"] = {nullptr, nullptr};
    CHECK_THROWS_AS(probe(i).on("/taken", [](const butter::Request&) {}), butter::Error);
  }
}

TEST_CASE("send and request go through butter.net/1 with callbacks", "[sdk][net]") {
  fake::Host host;
  fake::Instance i(factory(), host, "test.probe");
  REQUIRE(i.init() == BUTTER_OK);
  auto& p = probe(i);

  CHECK(p.send("tcp://127.0.0.1:7001", "/t/note", "hi").ok());
  REQUIRE(host.sent.size() == 1);
  CHECK(host.sent[0].payload == "hi");

  std::vector<std::string> got;
  auto cb = [&](const butter::Response& r) {
    got.push_back(r.ok() ? "ok:" + std::string(r.text()) : "err:" + r.error());
  };
  REQUIRE(p.request("peer", "/t/ok", "ping", std::chrono::milliseconds(1500), cb).ok());
  REQUIRE(host.requests.size() == 1);
  CHECK(host.requests[0].timeout_ms == 1500);
  CHECK(host.requests[0].payload == "ping");
  REQUIRE(p.request("peer", "/t/ok", "ping", std::chrono::seconds(1), cb).ok());
  host.complete(BUTTER_OK, "pong");
  host.complete(BUTTER_E_TIMEOUT, "");
  CHECK(got == std::vector<std::string>{"ok:pong", "err:BUTTER_E_TIMEOUT"});

  SECTION("a refused request returns the status and never calls back") {
    host.request_result = BUTTER_E_AGAIN;
    const butter::Status s = p.request("peer", "/t/ok", "x", std::chrono::seconds(1), cb);
    CHECK(s.code() == BUTTER_E_AGAIN);
    CHECK(s.message() == "fake: request refused");
    CHECK(got.size() == 2);
  }
  SECTION("a zero timeout is refused") {
    CHECK_THROWS_AS(p.request("peer", "/t/ok", "x", std::chrono::milliseconds(0), cb), butter::Error);
  }
  SECTION("a throwing response callback is logged") {
    REQUIRE(p.request("peer", "/t/ok", "x", std::chrono::seconds(1), [](const butter::Response&) {
               throw std::runtime_error("callback boom");
             }).ok());
    host.complete(BUTTER_OK, "");
    CHECK(host.logged("response callback: callback boom"));
  }
}

TEST_CASE("timers fire and cancel through their RAII handle", "[sdk][timer]") {
  fake::Host host;
  fake::Instance i(factory(), host, "test.probe");
  REQUIRE(i.init() == BUTTER_OK);
  auto& p = probe(i);

  p.tick_ = p.every(std::chrono::milliseconds(250), [&p] { ++p.ticks_; });
  REQUIRE(host.timers.size() == 1);
  const auto tick_id = host.only_timer();
  CHECK(host.timers[tick_id].delay == 250);
  CHECK(host.timers[tick_id].period == 250);
  host.fire(tick_id);
  host.fire(tick_id);
  CHECK(p.ticks_ == 2);
  CHECK(p.tick_.active());

  SECTION("destroying the handle cancels") {
    p.tick_ = butter::Timer();
    CHECK(host.timers.empty());
    CHECK_FALSE(host.fire(tick_id));
  }
  SECTION("cancel() cancels and is idempotent") {
    p.tick_.cancel();
    p.tick_.cancel();
    CHECK(host.timers.empty());
  }
  SECTION("a one-shot fires once and is forgotten") {
    p.once_ = p.after(std::chrono::milliseconds(5), [&p] { ++p.onces_; });
    CHECK(host.timers.size() == 2);
    std::uint64_t once_id = 0;
    for (auto& [id, t] : host.timers)
      if (t.period == 0) once_id = id;
    REQUIRE(host.fire(once_id));
    CHECK(p.onces_ == 1);
    CHECK_FALSE(p.once_.active());
    p.once_.cancel();  // harmless after firing
    CHECK(host.timers.size() == 1);
  }
  SECTION("a timer may cancel itself from its callback") {
    p.tick_.cancel();
    p.self_cancel_ = p.every(std::chrono::milliseconds(1), [&p] {
      if (++p.self_ticks_ == 3) p.self_cancel_.cancel();
    });
    const auto id = host.only_timer();
    for (int k = 0; k < 5; ++k) host.fire(id);
    CHECK(p.self_ticks_ == 3);
    CHECK(host.timers.empty());
  }
  SECTION("a throwing timer callback is logged and keeps its timer") {
    p.tick_ = p.every(std::chrono::seconds(1), [] { throw std::runtime_error("tick boom"); });
    host.fire(host.only_timer());
    CHECK(host.logged("timer callback: tick boom"));
    CHECK(host.timers.size() == 1);
  }
  SECTION("a moved handle keeps the timer") {
    butter::Timer moved = std::move(p.tick_);
    CHECK_FALSE(p.tick_.active());
    CHECK(moved.active());
    CHECK(host.timers.size() == 1);
  }
  SECTION("a zero period is refused") {
    CHECK_THROWS_AS(p.every(std::chrono::milliseconds(0), [] {}), butter::Error);
  }
}

TEST_CASE("http routes answer through HttpResponse", "[sdk][http]") {
  fake::Host host;
  fake::Instance i(factory(), host, "test.probe");
  REQUIRE(i.init() == BUTTER_OK);

  SECTION("query parameters are percent-decoded and headers case-insensitive") {
    const auto t = host.call("GET", "/probe", "x=1&who=J%C3%B6rg+B%21&who=second", {}, {{"User-Agent", "curl"}});
    const auto* r = host.response_for(t);
    REQUIRE(r != nullptr);
    CHECK(r->status == 200);
    CHECK(r->content_type == "application/json");
    CHECK(r->body == "{\"who\":\"J\xC3\xB6rg B!\",\"agent\":\"curl\",\"served\":0}");
    REQUIRE(r->headers.size() == 1);
    CHECK(r->headers[0].first == "X-Probe");
  }
  SECTION("a throwing handler answers 500 with the message") {
    const auto* r = host.response_for(host.call("GET", "/probe/throw"));
    REQUIRE(r != nullptr);
    CHECK(r->status == 500);
    CHECK(r->body == "http boom");
  }
  SECTION("a handler that does not respond answers 500") {
    const auto* r = host.response_for(host.call("GET", "/probe/silent"));
    REQUIRE(r != nullptr);
    CHECK(r->status == 500);
    CHECK(r->body == "handler did not respond");
  }
  SECTION("a moved response answers later") {
    const auto t = host.call("POST", "/probe/later", {}, "body!");
    CHECK(host.response_for(t) == nullptr);
    probe(i).answer_http_later();
    const auto* r = host.response_for(t);
    REQUIRE(r != nullptr);
    CHECK(r->status == 201);
    CHECK(r->body == "got body!");
  }
  SECTION("unroute removes the route") {
    auto& p = probe(i);
    const auto route =
        p.http().get("/tmp", [](const butter::HttpRequest&, butter::HttpResponse& res) { res.text("t"); });
    CHECK(host.routes.size() == 5);
    p.http().unroute(route);
    CHECK(host.routes.size() == 4);
  }
}

TEST_CASE("percent_decode leaves malformed escapes alone", "[sdk][http]") {
  CHECK(butter::percent_decode("a%2") == "a%2");
  CHECK(butter::percent_decode("%zz%41") == "%zzA");
  CHECK(butter::percent_decode("a+b", false) == "a+b");
  CHECK(butter::percent_decode("%") == "%");
}

TEST_CASE("provided interfaces and state are served through get_extension", "[sdk][extension]") {
  fake::Host host;
  fake::Instance i(factory(), host, "test.probe");
  REQUIRE(i.init() == BUTTER_OK);
  CHECK(i.extension(BUTTER_EXT_STATE) == nullptr);  // Probe does not override save/load_state
  CHECK(i.extension("test.unknown/1") == nullptr);
  const auto* iface = static_cast<const probe_iface_v1*>(i.extension("test.probe/1"));
  REQUIRE(iface != nullptr);
  host.deliver("/t/ok", "a");
  CHECK(iface->served(i.p) == 1);
  CHECK(iface->boom(i.p) == BUTTER_E_AGAIN);
  CHECK(host.logged("provided interface: busy"));

  SECTION("another plugin acquires it through the services broker") {
    host.services["test.probe/1"] = butter_service{sizeof(butter_service), iface, i.p};
    fake::Instance j(factory(), host, "test.probe");
    auto& other = probe(j);
    auto svc = other.services().acquire<probe_iface_v1>("test.probe/1");
    REQUIRE(svc);
    CHECK(svc.provider() == i.p);
    CHECK(svc->served(svc.provider()) == 1);
    CHECK(svc.call(&probe_iface_v1::served) == 1);
    auto none = other.services().acquire<probe_iface_v1>("test.none/1");
    CHECK_FALSE(none);
    CHECK(none.status().code() == BUTTER_E_NOT_FOUND);
  }
}

TEST_CASE("metrics node and log go to their extensions", "[sdk][misc]") {
  fake::Host host;
  fake::Instance i(factory(), host, "test.probe");
  auto& p = probe(i);
  p.metrics().counter("c_total").add();
  p.metrics().counter("c_total").add(4);
  p.metrics().gauge("g").set(3.5);
  p.metrics().describe("c_total", "help");
  CHECK(host.counters["c_total"] == 5);
  CHECK(host.gauges["g"] == 3.5);
  CHECK(host.help["c_total"] == "help");
  CHECK(p.node().id() == std::string(64, 'a'));
  CHECK(p.node().name() == "fake-node");
  CHECK(p.node().instance_name() == "probe");
  CHECK(p.node().endpoints() == std::vector<std::string>{"tcp://127.0.0.1:7000"});
  p.log().warn("{} + {} = {}{{}}", 1, 2u, 3.0);
  CHECK(host.logs.back() == std::pair<std::int32_t, std::string>{BUTTER_LOG_WARN, "1 + 2 = 3{}"});
  int posted = 0;
  CHECK(p.post([&] { ++posted; }).ok());
  CHECK(posted == 1);
  SECTION("a missing extension throws BUTTER_E_UNSUPPORTED naming it") {
    fake::Host bare;
    bare.disabled = {BUTTER_EXT_TIMER, BUTTER_EXT_HTTP, BUTTER_EXT_METRICS};
    fake::Instance k(factory(), bare, "test.probe");
    auto& q = probe(k);
    try {
      (void)q.every(std::chrono::seconds(1), [] {});
      FAIL("no throw");
    } catch (const butter::Error& e) {
      CHECK(e.code() == BUTTER_E_UNSUPPORTED);
      CHECK(std::string(e.what()) == "the host does not offer butter.timer/1");
    }
    CHECK(k.init() == BUTTER_E_UNSUPPORTED);     // Probe's init routes HTTP
    CHECK(q.metrics().counter("x").add().ok());  // metrics are optional: a no-op
  }
}

TEST_CASE("metrics add_growth shows a count kept elsewhere as a counter", "[sdk][misc]") {
  fake::Host host;
  fake::Instance i(factory(), host, "test.probe");
  auto& p = probe(i);
  const butter::Counter c = p.metrics().counter("kept_total");
  std::uint64_t reported = 0;
  CHECK(c.add_growth(3, reported).ok());
  CHECK(host.counters["kept_total"] == 3);
  CHECK(reported == 3);
  // What it grew by since the last report, not the count again.
  c.add_growth(10, reported);
  CHECK(host.counters["kept_total"] == 10);
  // No growth adds nothing; a count that went down (an engine started over) adds nothing either,
  // and the next growth is counted from it.
  c.add_growth(10, reported);
  c.add_growth(4, reported);
  CHECK(host.counters["kept_total"] == 10);
  CHECK(reported == 4);
  c.add_growth(6, reported);
  CHECK(host.counters["kept_total"] == 12);
}

TEST_CASE("format substitutes placeholders in order", "[sdk][format]") {
  CHECK(butter::format("plain") == "plain");
  CHECK(butter::format("{} and {}", "a", std::string("b")) == "a and b");
  CHECK(butter::format("{}", true) == "true");
  CHECK(butter::format("{}", std::uint8_t{7}) == "7");
  CHECK(butter::format("{{}} {}", 1) == "{} 1");
  CHECK(butter::format("{} {}", 1) == "1 {}");
  CHECK(butter::format("{}", 1, 2) == "1");
  CHECK(butter::format("tail {", 1) == "tail {");
}

// A full queue (BUTTER_E_AGAIN) keeps the token valid on the host, so the Reply must keep it too:
// the handler can retry, and a Reply dropped after AGAIN still answers "handler did not reply".
TEST_CASE("a Reply refused with AGAIN stays pending and can be retried", "[sdk][net]") {
  fake::Host host;
  fake::Instance i(factory(), host, "test.probe");
  REQUIRE(i.init() == BUTTER_OK);
  auto& p = probe(i);
  butter::Reply kept;
  p.on("/t/keep", [&](const butter::Request&, butter::Reply& reply) { kept = std::move(reply); });

  SECTION("ok()") {
    const auto t = host.deliver("/t/keep", "x");
    host.replies_again = 1;
    CHECK(kept.ok("first try").code() == BUTTER_E_AGAIN);
    CHECK(kept.pending());
    CHECK(host.reply_for(t) == nullptr);
    CHECK(kept.ok("second try").code() == BUTTER_OK);
    CHECK_FALSE(kept.pending());
    REQUIRE(host.reply_for(t) != nullptr);
    CHECK(host.reply_for(t)->payload == "second try");
  }
  SECTION("ok_parts() through butter.net.reply/1") {
    const auto t = host.deliver("/t/keep", "x");
    host.replies_again = 1;
    CHECK(kept.ok_parts({butter::Bytes("ab"), butter::Bytes("cd")}).code() == BUTTER_E_AGAIN);
    CHECK(kept.pending());
    CHECK(kept.ok_parts({butter::Bytes("ab"), butter::Bytes("cd")}).code() == BUTTER_OK);
    CHECK(host.reply_parts_calls == 2);  // the real path, not the joined fallback
    REQUIRE(host.reply_for(t) != nullptr);
    CHECK(host.reply_for(t)->payload == "abcd");
  }
  SECTION("dropped after AGAIN, it still answers the failure") {
    const auto t = host.deliver("/t/keep", "x");
    host.replies_again = 1;
    CHECK(kept.error(BUTTER_E_NOT_FOUND, "nope").code() == BUTTER_E_AGAIN);
    kept = butter::Reply();
    REQUIRE(host.reply_for(t) != nullptr);
    CHECK(host.reply_for(t)->status == BUTTER_E_INTERNAL);
    CHECK(host.reply_for(t)->payload == "handler did not reply");
  }
}

TEST_CASE("ok_parts takes up to BUTTER_NET_REPLY_MAX_PARTS parts on the real path", "[sdk][net]") {
  fake::Host host;
  fake::Instance i(factory(), host, "test.probe");
  REQUIRE(i.init() == BUTTER_OK);
  butter::Reply kept;
  probe(i).on("/t/keep", [&](const butter::Request&, butter::Reply& reply) { kept = std::move(reply); });
  const auto t = host.deliver("/t/keep", "x");
  // 17 parts: more than the 16 the wrapper once held, which fell back to joining silently.
  CHECK(
      kept.ok_parts({butter::Bytes("a"), butter::Bytes("b"), butter::Bytes("c"), butter::Bytes("d"), butter::Bytes("e"),
                     butter::Bytes("f"), butter::Bytes("g"), butter::Bytes("h"), butter::Bytes("i"), butter::Bytes("j"),
                     butter::Bytes("k"), butter::Bytes("l"), butter::Bytes("m"), butter::Bytes("n"), butter::Bytes("o"),
                     butter::Bytes("p"), butter::Bytes("q")})
          .code() == BUTTER_OK);
  CHECK(host.reply_parts_calls == 1);
  REQUIRE(host.reply_for(t) != nullptr);
  CHECK(host.reply_for(t)->payload == "abcdefghijklmnopq");
}

TEST_CASE("send_sealed reaches butter.net.sealed/1 and the message is head then sealed", "[sdk][net]") {
  fake::Host host;
  fake::Instance i(factory(), host, "test.probe");
  REQUIRE(i.init() == BUTTER_OK);
  auto& p = probe(i);
  const std::string peer(64, 'c');
  REQUIRE(p.send_sealed(peer, "/t/relay", butter::Bytes("head:"), butter::Bytes("ciphertext")).code() == BUTTER_OK);
  CHECK(host.send_sealed_calls == 1);  // the extension, not the joined fallback
  REQUIRE(host.sent.size() == 1);
  CHECK(host.sent[0].peer == peer);
  CHECK(host.sent[0].payload == "head:ciphertext");
  // The limits are send's, with the 4 bytes of the tail's length counted in the frame.
  host.max_frame_bytes = BUTTER_NET_FRAME_OVERHEAD + 8 + 15;  // protocol "/t/relay" + 15 payload bytes
  CHECK(p.send(peer, "/t/relay", butter::Bytes("head:ciphertext")).code() == BUTTER_OK);
  CHECK(p.send_sealed(peer, "/t/relay", butter::Bytes("head:"), butter::Bytes("ciphertext")).code() ==
        BUTTER_E_INVALID);
  CHECK(host.sent.size() == 2);
}
