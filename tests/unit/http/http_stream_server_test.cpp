// Stream routes of the HTTP server (http_exchange.hpp) over loopback, without a node: the
// request timeout is a progress deadline (a slow but moving answer outlives it; a stalled one is
// closed and reported), a streamed body is pulled (the handler gets no piece it did not ask for,
// and the client is held back meanwhile), and at max_streams one more exchange gets 503 (and at
// max_streams_per_address one more from the same address); a client that trickles its body or
// reads an answer too slowly is closed (a piece asked for, or written, has a deadline of its own).
#include "harness.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <thread>

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
  std::atomic<int> problems{0};                 // handlers run on the loop's thread: no CHECK there
  s.server.add_stream_route(
      "GET", "/slow", false, {}, [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
        if (ex->begin(200, "text/plain", {}, 12000)) ++problems;
        auto d = std::make_shared<Dribbler>(loop.strand, ex, 12, std::chrono::milliseconds(100));  // 1.2 s in all
        d->next();
      });
  s.server.add_stream_route("GET", "/stall", false, {},
                            [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
                              ex->set_events({nullptr, nullptr, [&](const std::string& why) {
                                                reason = why;
                                                ++closed;
                                              }});
                              if (ex->begin(200, "text/plain", {}, host::HttpExchange::kUnknownLength)) ++problems;
                              if (ex->write("first piece, then nothing")) ++problems;
                              stalled = ex;
                            });
  s.server.add_stream_route("GET", "/silent", false, {},
                            [](const host::HttpRequest&, std::shared_ptr<host::HttpExchange>) {});

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
  // Declared before the server: its callbacks may run until the server is gone.
  std::atomic<std::size_t> pieces{0}, bytes{0};
  std::atomic<bool> hold{true};
  std::atomic<int> problems{0};  // handlers run on the loop's thread: no CHECK there
  std::shared_ptr<host::HttpExchange> ex_kept;
  Loop loop;
  Served s(loop);
  s.server.add_stream_route("POST", "/up", false, {true, 0},
                            [&](const host::HttpRequest& req, std::shared_ptr<host::HttpExchange> ex) {
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
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket client(io);
  client.connect({boost::asio::ip::make_address("127.0.0.1"), s.port});
  boost::asio::write(
      client, boost::asio::buffer("POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: " +
                                  std::to_string(total) + "\r\n\r\n"));
  client.non_blocking(true);
  const std::string block(64 * 1024, 'u');
  std::size_t sent = 0;
  auto send_some = [&] {
    for (int i = 0; i < 64 && sent < total; ++i) {
      boost::system::error_code ec;
      sent += client.write_some(boost::asio::buffer(block.data(), std::min(block.size(), total - sent)), ec);
      if (ec == boost::asio::error::would_block) return true;
      if (ec) return false;
    }
    return false;
  };
  // The first piece, once the handler asked for it.
  REQUIRE(wait_until([&] {
    send_some();
    return pieces.load() == 1;
  }));
  // The condition: the client cannot send more (its socket and the server's buffers are full),
  // which happens only because the server reads nothing while the handler does not ask.
  const bool blocked = wait_until(send_some);
  CHECK(blocked);
  CHECK(sent < total);
  CHECK(pieces.load() == 1);  // nothing more was handed out meanwhile
  loop.on_strand([&] {
    hold = false;
    return ex_kept->read_body(65536).code;
  });
  client.non_blocking(false);
  while (sent < total)
    sent += boost::asio::write(client, boost::asio::buffer(block.data(), std::min(block.size(), total - sent)));
  std::string answer;
  std::array<char, 4096> buf{};
  for (int i = 0; i < 1000; ++i) {
    boost::system::error_code ec;
    const std::size_t n = client.read_some(boost::asio::buffer(buf), ec);
    answer.append(buf.data(), n);
    if (ec) break;
  }
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200"));
  CHECK(bytes == total);
  CHECK(problems == 0);
  // Body reads take what the socket holds, up to a piece: not the few hundred bytes Beast reads
  // into a buffer sized for the request head (issue 18: 485 bytes a read held `butter put` to
  // 97 MiB/s). Reads that found the head's leftovers or part of a piece count too, so the bound
  // is loose: 8 KiB a read on average, where 512-byte reads would be 64 times as many.
  const auto st = s.server.stats();
  CHECK(st.stream_body_bytes <= total);
  CHECK(st.stream_body_bytes >= total - 64 * 1024);  // the head's read may have taken some body
  CHECK(st.stream_body_reads > 0);
  CHECK(st.stream_body_reads <= total / (8 * 1024));
}

TEST_CASE("stream route: a piece stays intact while the handler asks for the next one before reading it") {
  Loop loop;
  Served s(loop);
  std::atomic<int> problems{0};  // handlers run on the loop's thread: no CHECK there
  std::string seen;
  std::shared_ptr<host::HttpExchange> ex_kept;  // the handler keeps its exchange
  s.server.add_stream_route("POST", "/up", false, {true, 0},
                            [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
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
  s.server.add_stream_route("GET", "/unknown", false, {},
                            [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
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
  auto raw11 =
      raw_exchange("127.0.0.1", s.port, "GET /unknown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(raw11.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(problems == 0);
}

TEST_CASE("stream route: HEAD with a declared length ends right after begin") {
  Loop loop;
  Served s(loop);
  std::atomic<int> problems{0};
  s.server.add_stream_route("HEAD", "/obj", false, {},
                            [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
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
  s.server.add_stream_route("GET", "/bad", false, {},
                            [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
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
  s.server.add_stream_route("GET", "/hold", false, {},
                            [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) { held = ex; });
  std::atomic<int> first{0};
  std::thread client(
      [&] { first = http_request("127.0.0.1", s.port, "GET", "/hold", "", std::chrono::seconds(10)).status; });
  CHECK(wait_until([&] { return loop.on_strand([&] { return held != nullptr; }); }));
  auto second = http_request("127.0.0.1", s.port, "GET", "/hold");
  CHECK(second.status == 503);
  CHECK(second.header("Retry-After") == "1");
  CHECK(s.server.stats().streams_refused == 1);
  loop.on_strand([&] { return held->respond(text("done")).code; });
  client.join();
  CHECK(first == 200);
  // The slot is free again.
  std::thread again(
      [&] { first = http_request("127.0.0.1", s.port, "GET", "/hold", "", std::chrono::seconds(10)).status; });
  CHECK(wait_until([&] { return loop.on_strand([&] { return held && held->open(); }); }));
  loop.on_strand([&] { return held->respond(text("done")).code; });
  again.join();
  CHECK(first == 200);
}

namespace {

// A raw connection from `from` (any 127/8 address) to the server; `request` written at once.
boost::asio::ip::tcp::socket raw_client(boost::asio::io_context& io, const std::string& from, std::uint16_t port,
                                        const std::string& request) {
  boost::asio::ip::tcp::socket sock(io);
  sock.open(boost::asio::ip::tcp::v4());
  sock.bind({boost::asio::ip::make_address(from), 0});
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(sock, boost::asio::buffer(request));
  return sock;
}

// Everything the server sends until it closes (bounded).
std::string read_all(boost::asio::ip::tcp::socket& sock) {
  std::string out;
  std::array<char, 4096> buf{};
  for (int i = 0; i < 100000; ++i) {
    boost::system::error_code ec;
    const std::size_t n = sock.read_some(boost::asio::buffer(buf), ec);
    out.append(buf.data(), n);
    if (ec) break;
  }
  return out;
}

}  // namespace

TEST_CASE(
    "stream route: at max_streams_per_address one more exchange from that address gets 503, another address is "
    "served") {
  std::vector<std::shared_ptr<host::HttpExchange>> held;  // before the server, which may call back until it is gone
  Loop loop;
  auto o = quick(std::chrono::milliseconds(5000), 32);
  o.max_streams_per_address = 1;
  Served s(loop, o);
  s.server.add_stream_route(
      "GET", "/hold", false, {},
      [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) { held.push_back(ex); });
  auto count = [&] { return loop.on_strand([&] { return held.size(); }); };
  boost::asio::io_context io;
  const std::string get = "GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  auto first = raw_client(io, "127.0.0.1", s.port, get);
  REQUIRE(wait_until([&] { return count() == 1; }));
  // The same address again: refused at once, the handler never sees it.
  auto second = raw_client(io, "127.0.0.1", s.port, get);
  const std::string refused = read_all(second);
  CHECK_THAT(refused, Catch::StartsWith("HTTP/1.1 503") && Catch::Contains("from your address"));
  CHECK(s.server.stats().streams_refused_per_address == 1);
  CHECK(count() == 1);
  // Another address still gets a slot.
  auto third = raw_client(io, "127.0.0.2", s.port, get);
  REQUIRE(wait_until([&] { return count() == 2; }));
  loop.on_strand([&] {
    for (auto& ex : held) ex->respond(text("done"));
    return 0;
  });
  CHECK_THAT(read_all(first), Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(read_all(third), Catch::StartsWith("HTTP/1.1 200"));
  // The address's slot is free again.
  auto fourth = raw_client(io, "127.0.0.1", s.port, get);
  REQUIRE(wait_until([&] { return count() == 3; }));
  loop.on_strand([&] { return held.back()->respond(text("done")).code; });
  CHECK_THAT(read_all(fourth), Catch::StartsWith("HTTP/1.1 200"));
}

TEST_CASE("stream route: a client that trickles its streamed body is closed as too slow") {
  // Declared before the server: its callbacks may run until the server is gone.
  std::atomic<int> closed{0};
  std::atomic<std::size_t> bytes{0};
  std::string reason;
  std::shared_ptr<host::HttpExchange> ex_kept;
  Loop loop;
  Served s(loop, quick(std::chrono::milliseconds(300)));
  s.server.add_stream_route("POST", "/up", false, {true, 0},
                            [&](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
                              ex_kept = ex;
                              std::weak_ptr<host::HttpExchange> weak = ex;
                              ex->set_events({[&, weak](std::string_view chunk, bool last) {
                                                bytes += chunk.size();
                                                if (auto e = weak.lock(); e && !last) e->read_body(65536);
                                              },
                                              nullptr,
                                              [&](const std::string& why) {
                                                reason = why;
                                                ++closed;
                                              }});
                              ex->read_body(65536);
                            });
  boost::asio::io_context io;
  auto sock = raw_client(io, "127.0.0.1", s.port,
                         "POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n0123456789");
  // A byte every 50 ms: always something new within the timeout, never a piece. The pause paces
  // the slow client; what the test waits on is the server closing the exchange.
  const bool cut = wait_until([&] {
    boost::system::error_code ec;
    boost::asio::write(sock, boost::asio::buffer("x", 1), ec);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return closed.load() == 1;
  });
  REQUIRE(cut);
  CHECK_THAT(loop.on_strand([&] { return reason; }), Catch::Contains("too slow"));
  CHECK(s.server.stats().streams_too_slow == 1);
  CHECK(bytes.load() == 0);  // no piece was ever complete
}

TEST_CASE(
    "stream route: a 1 MiB write goes out in pieces of at most 64 KiB, and a reader that stops is cut as too slow") {
  // Declared before the server: its callbacks may run until the server is gone.
  std::atomic<int> problems{0}, closed{0};
  std::string reason;
  // Writes whole 1 MiB windows, each as one write(), on `writable`.
  struct Feeder {
    std::shared_ptr<host::HttpExchange> ex;
    std::size_t left = 0;
    void pump() {
      const std::string window(host::HttpExchange::kWriteWindow, 'w');
      while (left > 0) {
        auto e = ex->write(std::string_view(window).substr(0, std::min(left, window.size())));
        if (e) return;  // BUTTER_E_AGAIN: `writable` brings us back
        left -= std::min(left, window.size());
      }
      ex->end();
    }
  };
  std::vector<std::shared_ptr<Feeder>> feeders;
  Loop loop;
  Served s(loop, quick(std::chrono::milliseconds(300)));
  auto route = [&](std::size_t total) {
    return [&, total](const host::HttpRequest&, std::shared_ptr<host::HttpExchange> ex) {
      auto f = std::make_shared<Feeder>();
      f->ex = ex;
      f->left = total;
      feeders.push_back(f);
      std::weak_ptr<Feeder> weak = f;
      ex->set_events({nullptr,
                      [weak] {
                        if (auto p = weak.lock()) p->pump();
                      },
                      [&](const std::string& why) {
                        reason = why;
                        ++closed;
                      }});
      // Chunked: each piece the server writes is one chunk, so the client can see their sizes.
      if (ex->begin(200, "application/octet-stream", {}, host::HttpExchange::kUnknownLength)) ++problems;
      f->pump();
    };
  };
  const std::size_t total = 4u << 20;
  s.server.add_stream_route("GET", "/big", false, {}, route(total));
  s.server.add_stream_route("GET", "/endless", false, {}, route(std::size_t{1} << 40));
  boost::asio::io_context io;

  auto whole = raw_client(io, "127.0.0.1", s.port, "GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const std::string raw = read_all(whole);
  std::size_t at = raw.find("\r\n\r\n");
  REQUIRE(at != std::string::npos);
  at += 4;
  std::size_t body = 0, chunks = 0, largest = 0;
  for (int i = 0; i < 100000 && at < raw.size(); ++i) {
    const std::size_t eol = raw.find("\r\n", at);
    REQUIRE(eol != std::string::npos);
    const std::size_t n = std::stoul(raw.substr(at, eol - at), nullptr, 16);
    if (n == 0) break;
    body += n;
    ++chunks;
    largest = std::max(largest, n);
    at = eol + 2 + n + 2;
  }
  CHECK(body == total);
  CHECK(largest <= host::HttpExchange::kMaxChunk);
  CHECK(chunks >= total / host::HttpExchange::kMaxChunk);
  CHECK(closed.load() == 0);

  // Reads nothing: once the socket buffers are full, a piece waits past the timeout.
  auto stalled = raw_client(io, "127.0.0.1", s.port, "GET /endless HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  REQUIRE(wait_until([&] { return closed.load() == 1; }));
  CHECK_THAT(loop.on_strand([&] { return reason; }), Catch::Contains("too slow"));
  CHECK(s.server.stats().streams_too_slow == 1);
  CHECK(problems == 0);
}
