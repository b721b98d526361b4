// Stream routes of the HTTP server (http_exchange.hpp) over loopback, without a node: the
// request timeout is a progress deadline (a slow but moving answer outlives it; a stalled one is
// closed and reported), a streamed body is pulled (the handler gets no piece it did not ask for,
// and the client is held back meanwhile), and at max_streams one more exchange gets 503.
#include "harness.hpp"

#include <boost/asio/steady_timer.hpp>

#include <memory>

using namespace butter;
using namespace butter::test;

namespace {

host::HttpServerOptions quick(std::chrono::milliseconds request_timeout, std::size_t max_streams = 32) {
  auto o = loopback_options();
  o.request_timeout = request_timeout;
  o.max_streams = max_streams;
  return o;
}

// Writes `pieces` pieces of 1000 bytes, one every `gap`, on the strand.
struct Dribbler : std::enable_shared_from_this<Dribbler> {
  Dribbler(host::Strand strand, std::shared_ptr<host::HttpExchange> ex, int pieces, std::chrono::milliseconds gap)
      : timer(strand), ex(std::move(ex)), left(pieces), gap(gap) {}
  void next() {
    timer.expires_after(gap);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (self->left-- == 0) return void(self->ex->end());
      if (self->ex->write(std::string(1000, 'd'))) return;
      self->next();
    });
  }
  boost::asio::steady_timer timer;
  std::shared_ptr<host::HttpExchange> ex;
  int left;
  std::chrono::milliseconds gap;
};

}  // namespace

TEST_CASE("stream route: an answer that keeps moving outlives the request timeout and a stalled one is closed") {
  Loop loop;
  Served s(loop, quick(std::chrono::milliseconds(300)));
  std::atomic<int> closed{0};
  std::string reason;
  std::shared_ptr<host::HttpExchange> stalled;  // kept, never written to again
  std::atomic<int> problems{0};                  // handlers run on the loop's thread: no CHECK there
  s.server.add_stream_route("GET", "/slow", false, {}, [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
    if (ex->begin(200, "text/plain", {}, 12000)) ++problems;
    auto d = std::make_shared<Dribbler>(loop.strand, ex, 12, std::chrono::milliseconds(100));  // 1.2 s in all
    d->next();
  });
  s.server.add_stream_route("GET", "/stall", false, {}, [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
    ex->set_events({nullptr, nullptr, [&](const std::string& why) {
                      reason = why;
                      ++closed;
                    }});
    if (ex->begin(200, "text/plain", {}, host::HttpExchange::kUnknownLength)) ++problems;
    if (ex->write("first piece, then nothing")) ++problems;
    stalled = ex;
  });
  s.server.add_stream_route("GET", "/silent", false, {}, [](const host::HttpRequest&, std::shared_ptr<host::HttpExchange>) {});

  auto slow = http_request("127.0.0.1", s.port, "GET", "/slow", "", std::chrono::seconds(10));
  CHECK(slow.status == 200);
  CHECK(slow.body == std::string(12000, 'd'));

  CHECK_THROWS(http_request("127.0.0.1", s.port, "GET", "/stall", "", std::chrono::seconds(10)));
  CHECK(wait_until([&] { return closed.load() == 1; }));
  CHECK_THAT(loop.on_strand([&] { return reason; }), Catch::Contains("nothing moved"));

  // No answer begun at all: 504, as for plain routes.
  CHECK(http_request("127.0.0.1", s.port, "GET", "/silent", "", std::chrono::seconds(10)).status == 504);
  CHECK(s.server.stats().stream_timeouts == 2);
  CHECK(problems == 0);
}

TEST_CASE("stream route: a streamed body is pulled and the handler gets only the pieces it asks for") {
  Loop loop;
  Served s(loop);
  std::atomic<std::size_t> pieces{0}, bytes{0};
  std::atomic<bool> hold{true};
  std::atomic<int> problems{0};  // handlers run on the loop's thread: no CHECK there
  std::shared_ptr<host::HttpExchange> ex_kept;
  s.server.add_stream_route("POST", "/up", false, {true, 0}, [&](const host::HttpRequest& req, std::shared_ptr<host::HttpExchange> ex) {
    if (!req.body.empty()) ++problems;
    ex_kept = ex;
    std::weak_ptr<host::HttpExchange> weak = ex;
    ex->set_events({[&, weak](std::string_view chunk, bool last) {
                      ++pieces;
                      bytes += chunk.size();
                      if (chunk.size() > host::HttpExchange::kMaxChunk) ++problems;
                      auto e = weak.lock();
                      if (!e) return;
                      if (last) return void(e->respond(text(std::to_string(bytes.load()))));
                      if (!hold && e->read_body(65536)) ++problems;
                    },
                    nullptr, nullptr});
    if (ex->read_body(65536)) ++problems;
    if (ex->read_body(65536).code != BUTTER_E_AGAIN) ++problems;  // one piece at a time
  });

  const std::size_t total = 32u << 20;  // far more than socket buffers hold
  std::atomic<int> status{0};
  std::thread client([&] { status = http_request("127.0.0.1", s.port, "POST", "/up", std::string(total, 'u'), std::chrono::seconds(60)).status; });
  CHECK(wait_until([&] { return pieces.load() == 1; }));
  // Nothing more arrives while the handler does not ask; the client stays blocked meanwhile.
  CHECK_FALSE(wait_until([&] { return pieces.load() > 1 || status.load() != 0; }, std::chrono::milliseconds(300)));
  loop.on_strand([&] {
    hold = false;
    return ex_kept->read_body(65536).code;
  });
  client.join();
  CHECK(status == 200);
  CHECK(bytes == total);
  CHECK(problems == 0);
}

TEST_CASE("stream route: a piece stays intact while the handler asks for the next one before reading it") {
  Loop loop;
  Served s(loop);
  std::atomic<int> problems{0};  // handlers run on the loop's thread: no CHECK there
  std::string seen;
  std::shared_ptr<host::HttpExchange> ex_kept;  // the handler keeps its exchange
  s.server.add_stream_route("POST", "/up", false, {true, 0}, [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
    ex_kept = ex;
    std::weak_ptr<host::HttpExchange> weak = ex;
    ex->set_events({[&, weak](std::string_view chunk, bool last) {
                      auto e = weak.lock();
                      if (!e) return;
                      // Asks first: the next piece is already buffered and parsed at once.
                      if (!last && e->read_body(100)) ++problems;
                      seen.append(chunk);
                      if (last) e->respond(text("ok"));
                    },
                    nullptr, nullptr});
    if (ex->read_body(100)) ++problems;
  });
  // Small enough to arrive with the head in one read: every later piece comes from the buffer.
  const std::string body = std::string(100, 'a') + std::string(100, 'b') + std::string(100, 'c');
  CHECK(http_request("127.0.0.1", s.port, "POST", "/up", body, std::chrono::seconds(10)).status == 200);
  CHECK(loop.on_strand([&] { return seen; }) == body);
  CHECK(problems == 0);
}

TEST_CASE("stream route: an HTTP/1.0 client gets an unknown length raw and closed, never chunked") {
  Loop loop;
  Served s(loop);
  std::atomic<int> problems{0};
  s.server.add_stream_route("GET", "/unknown", false, {}, [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
    if (ex->begin(200, "text/plain", {}, host::HttpExchange::kUnknownLength)) ++problems;
    if (ex->write("hello ") || ex->write("world") || ex->end()) ++problems;
  });
  auto raw = raw_exchange("127.0.0.1", s.port, "GET /unknown HTTP/1.0\r\n\r\n");
  CHECK(raw.rfind("HTTP/1.0 200", 0) == 0);
  CHECK(raw.find("Transfer-Encoding") == std::string::npos);
  CHECK(raw.size() > 11);
  CHECK(raw.substr(raw.size() - 11) == "hello world");
  CHECK(raw.find("\r\n\r\nhello world") != std::string::npos);
  // HTTP/1.1 still gets chunks.
  auto raw11 = raw_exchange("127.0.0.1", s.port, "GET /unknown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(raw11.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(problems == 0);
}

TEST_CASE("stream route: HEAD with a declared length ends right after begin") {
  Loop loop;
  Served s(loop);
  std::atomic<int> problems{0};
  s.server.add_stream_route("HEAD", "/obj", false, {}, [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
    if (ex->begin(200, "application/octet-stream", {}, 5000)) ++problems;
    if (ex->end()) ++problems;
  });
  auto res = http_request("127.0.0.1", s.port, "HEAD", "/obj", "", std::chrono::seconds(10));
  CHECK(res.status == 200);
  CHECK(res.header("Content-Length") == "5000");
  CHECK(problems == 0);
}

TEST_CASE("stream route: begin and respond refuse a non-final status and CR or LF in the content type") {
  Loop loop;
  Served s(loop);
  std::atomic<int> refused{0}, problems{0};
  s.server.add_stream_route("GET", "/bad", false, {}, [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
    if (ex->begin(101, "text/plain", {}, 1).code == BUTTER_E_INVALID) ++refused;
    if (ex->begin(600, "text/plain", {}, 1).code == BUTTER_E_INVALID) ++refused;
    if (ex->begin(200, "text/plain\r\nX-Evil: 1", {}, 1).code == BUTTER_E_INVALID) ++refused;
    auto r = text("x");
    r.content_type = "text/plain\nX-Evil: 1";
    if (ex->respond(r).code == BUTTER_E_INVALID) ++refused;
    if (ex->respond(text("x", 199)).code == BUTTER_E_INVALID) ++refused;
    if (ex->respond(text("fine"))) ++problems;
  });
  auto res = http_request("127.0.0.1", s.port, "GET", "/bad", "", std::chrono::seconds(10));
  CHECK(res.status == 200);
  CHECK(res.body == "fine");
  CHECK(res.header("X-Evil").empty());
  CHECK(refused == 5);
  CHECK(problems == 0);
}

TEST_CASE("stream route: at max_streams one more exchange gets 503 and is counted") {
  Loop loop;
  Served s(loop, quick(std::chrono::milliseconds(5000), 1));
  std::shared_ptr<host::HttpExchange> held;
  s.server.add_stream_route("GET", "/hold", false, {}, [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
    held = ex;
  });
  std::atomic<int> first{0};
  std::thread client([&] { first = http_request("127.0.0.1", s.port, "GET", "/hold", "", std::chrono::seconds(10)).status; });
  CHECK(wait_until([&] { return loop.on_strand([&] { return held != nullptr; }); }));
  auto second = http_request("127.0.0.1", s.port, "GET", "/hold");
  CHECK(second.status == 503);
  CHECK(second.header("Retry-After") == "1");
  CHECK(s.server.stats().streams_refused == 1);
  loop.on_strand([&] { return held->respond(text("done")).code; });
  client.join();
  CHECK(first == 200);
  // The slot is free again.
  std::thread again([&] { first = http_request("127.0.0.1", s.port, "GET", "/hold", "", std::chrono::seconds(10)).status; });
  CHECK(wait_until([&] { return loop.on_strand([&] { return held && held->open(); }); }));
  loop.on_strand([&] { return held->respond(text("done")).code; });
  again.join();
  CHECK(first == 200);
}
