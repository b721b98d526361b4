// Idle and slow clients over loopback sockets: the header deadline, the keep-alive idle timeout,
// and eviction at max_connections, so that no number of idle connections locks a local user out.
#include "harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <thread>

using namespace butter;
using namespace butter::test;
using boost::asio::ip::tcp;

namespace {

// `n` TCP connections to 127.0.0.1:`port` that send nothing.
std::vector<tcp::socket> idle_sockets(boost::asio::io_context& io, std::uint16_t port, int n) {
  std::vector<tcp::socket> out;
  for (int i = 0; i < n; ++i) {
    tcp::socket s(io);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    out.push_back(std::move(s));
  }
  return out;
}

bool request_ok(std::uint16_t port) {
  try {
    return http_request("127.0.0.1", port, "GET", "/ok", "", std::chrono::seconds(2)).body == "ok";
  } catch (const std::runtime_error&) {
    return false;
  }
}

}  // namespace

TEST_CASE("slowloris: a client sending its head a byte at a time is closed at the header deadline") {
  Loop loop;
  auto opts = loopback_options();
  opts.header_timeout = std::chrono::milliseconds(300);
  Served s(loop, opts);
  s.server.add_route("GET", "/ok", false, answer("ok"));

  // The attacker's pace (a byte every 20 ms, far inside any per-byte timeout) is the attack, not
  // synchronisation: the test waits on the server's counter.
  std::atomic<bool> stop{false};
  std::atomic<bool> write_failed{false};
  const auto started = std::chrono::steady_clock::now();
  std::thread dribbler([&] {
    boost::asio::io_context io;
    tcp::socket sock(io);
    sock.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), s.port));
    const std::string head = "GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(400, 'a');
    for (std::size_t i = 0; i < head.size() && !stop; ++i) {
      boost::system::error_code ec;
      boost::asio::write(sock, boost::asio::buffer(&head[i], 1), ec);
      if (ec) {
        write_failed = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const bool closed = wait_until([&] { return s.server.stats().header_timeouts == 1; }, std::chrono::seconds(5));
  const auto took = std::chrono::steady_clock::now() - started;
  // The server closed it; the dribbler sees that on one of its next writes (bounded: it has 400 bytes).
  CHECK(wait_until([&] { return write_failed.load(); }, std::chrono::seconds(5)));
  stop = true;
  dribbler.join();
  CHECK(closed);
  CHECK(took >= std::chrono::milliseconds(300));
  CHECK(took < std::chrono::seconds(3));
  CHECK(request_ok(s.port));
}

TEST_CASE("keep-alive: a connection idle between requests is closed after idle_timeout") {
  Loop loop;
  auto opts = loopback_options();
  opts.idle_timeout = std::chrono::milliseconds(200);
  Served s(loop, opts);
  s.server.add_route("GET", "/ok", false, answer("ok"));
  HttpConnection conn("127.0.0.1", s.port, std::chrono::seconds(5));
  CHECK(conn.request("GET", "/ok").body == "ok");
  CHECK(conn.request("GET", "/ok").body == "ok");  // within the idle time: the same connection serves
  const auto started = std::chrono::steady_clock::now();
  CHECK(conn.closed_by_peer());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  // Beast closes the socket when the deadline passes and reports it to the session afterwards.
  CHECK(wait_until([&] { return s.server.stats().idle_timeouts == 1; }, std::chrono::seconds(3)));
}

TEST_CASE("connection limit: the oldest idle keep-alive connection makes room for a new one") {
  Loop loop;
  auto opts = loopback_options();
  opts.max_connections = 2;
  Served s(loop, opts);
  s.server.add_route("GET", "/ok", false, answer("ok"));
  HttpConnection first("127.0.0.1", s.port);
  CHECK(first.request("GET", "/ok").body == "ok");
  HttpConnection second("127.0.0.1", s.port);
  CHECK(second.request("GET", "/ok").body == "ok");
  HttpConnection third("127.0.0.1", s.port);
  CHECK(third.request("GET", "/ok").body == "ok");
  CHECK(first.closed_by_peer());
  CHECK(second.request("GET", "/ok").body == "ok");
  CHECK(s.server.stats().connections_evicted == 1);
  CHECK(s.server.stats().connections_refused == 0);
}

TEST_CASE("connection limit: connections that never send a request cannot lock out a new client") {
  Loop loop;
  auto opts = loopback_options();
  opts.max_connections = 8;
  opts.header_timeout = std::chrono::seconds(60);  // the eviction, not the deadline, must admit the client
  Served s(loop, opts);
  s.server.add_route("GET", "/ok", false, answer("ok"));
  boost::asio::io_context io;
  auto idle = idle_sockets(io, s.port, 40);
  // The server accepts in order, so the client's connection comes after all of the idle ones.
  const auto started = std::chrono::steady_clock::now();
  CHECK(request_ok(s.port));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  CHECK(s.server.stats().connections_evicted >= 33);
  CHECK(s.server.stats().connections_refused == 0);
}
