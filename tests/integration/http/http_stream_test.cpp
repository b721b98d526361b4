// butter.http/2 on a real node with a plugin (tests/plugins/tp_http_stream.cpp) over loopback:
// streamed uploads (Content-Length and chunked) arrive whole in pieces no larger than the
// promised maximum, a body over the route's cap gets 413, streamed downloads (known length and
// chunked, HEAD) carry exactly the bytes written, an aborted download is seen truncated, and a
// client that stops reading holds the plugin back (write window) and is reported closed when it
// goes away.
#include "support/http_client.hpp"
#include "support/test_node.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <vector>

using namespace butter;
using namespace butter::test;

namespace {

std::string stream_node() { return loopback_manifest("streams", test_plugin_table("tp", "tp-http-stream.so")); }

std::uint8_t pattern(std::uint64_t i) { return static_cast<std::uint8_t>((i * 31 + 7) % 251); }

std::string fnv_hex(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char b : s) h = (h ^ b) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string some_bytes(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

bool is_pattern(const std::string& body, std::uint64_t n) {
  if (body.size() != n) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (static_cast<std::uint8_t>(body[i]) != pattern(i)) return false;
  }
  return true;
}

struct StreamEndpoint {
  explicit StreamEndpoint(TestNode& n) {
    std::string target;
    split_http_url(n->http_url(), host, port, target);
  }
  nlohmann::json stats() const {
    return nlohmann::json::parse(http_request(host, port, "GET", "/tp-stream/stats").body);
  }
  std::string host;
  std::uint16_t port = 0;
};

}  // namespace

TEST_CASE("a streamed upload arrives whole, in pieces of at most 64 KiB, beyond the node's body limit") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, stream_node());
  StreamEndpoint e(node);

  const std::string body = some_bytes(8 * 1024 * 1024 + 17);  // over max_body_bytes (1 MiB)
  auto r = http_request(e.host, e.port, "POST", "/tp-stream/upload", body, std::chrono::seconds(30));
  REQUIRE(r.status == 200);
  auto j = nlohmann::json::parse(r.body);
  CHECK(j["bytes"] == body.size());
  CHECK(j["hash"] == fnv_hex(body));
  CHECK(j["largest_piece"].get<std::uint64_t>() <= 64 * 1024);
  CHECK(j["pieces"].get<std::uint64_t>() >= body.size() / (64 * 1024));

  // Chunked transfer encoding, written by hand: three chunks, then the end.
  const std::string raw =
      "POST /tp-stream/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n";
  std::string answer = raw_exchange(e.host, e.port, raw);
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(answer, Catch::Contains("\"bytes\":11") && Catch::Contains(fnv_hex("hello world")));

  // An empty body is one last, empty piece.
  auto empty = http_request(e.host, e.port, "POST", "/tp-stream/upload", "");
  REQUIRE(empty.status == 200);
  CHECK(nlohmann::json::parse(empty.body)["bytes"] == 0);
}

TEST_CASE("a streamed body over the route's cap gets 413 and the plugin hears the exchange closed") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, stream_node());
  StreamEndpoint e(node);

  CHECK(http_request(e.host, e.port, "POST", "/tp-stream/capped", std::string(1000, 'x')).status == 200);
  // Over the cap by its Content-Length: refused from the head, the plugin never sees it.
  auto over = http_request(e.host, e.port, "POST", "/tp-stream/capped", std::string(5000, 'x'));
  CHECK(over.status == 413);
  CHECK(e.stats()["closed"] == 0);
  // Over the cap in chunks: found while the plugin pulls it.
  const std::string chunk(600, 'y');
  const std::string raw =
      "POST /tp-stream/capped HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk +
      "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n";
  CHECK_THAT(raw_exchange(e.host, e.port, raw), Catch::StartsWith("HTTP/1.1 413"));
  CHECK(wait_until([&] { return e.stats()["closed"] == 1; }));
  CHECK_THAT(e.stats()["last_reason"].get<std::string>(), Catch::Contains("limit"));
}

TEST_CASE("a streamed download carries exactly the bytes written, with Content-Length or chunked") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, stream_node());
  StreamEndpoint e(node);

  const std::uint64_t n = 6 * 1024 * 1024 + 3;
  auto known =
      http_request(e.host, e.port, "GET", "/tp-stream/bytes?n=" + std::to_string(n), "", std::chrono::seconds(30));
  REQUIRE(known.status == 200);
  CHECK(known.header("Content-Length") == std::to_string(n));
  CHECK(known.header("X-Test") == "stream");
  CHECK(known.header("X-Content-Type-Options") == "nosniff");  // the security headers, streamed too
  CHECK(is_pattern(known.body, n));

  auto chunked = http_request(e.host, e.port, "GET", "/tp-stream/bytes?chunked=1&n=" + std::to_string(n), "",
                              std::chrono::seconds(30));
  REQUIRE(chunked.status == 200);
  CHECK(chunked.header("Transfer-Encoding") == "chunked");
  CHECK(is_pattern(chunked.body, n));

  auto head = http_request(e.host, e.port, "HEAD", "/tp-stream/bytes?n=1000");
  CHECK(head.status == 200);
  CHECK(head.header("Content-Length") == "1000");
  CHECK(head.body.empty());

  // Keep-alive after a streamed answer: the next request on the connection is served.
  HttpConnection conn(e.host, e.port, std::chrono::seconds(10));
  CHECK(is_pattern(conn.request("GET", "/tp-stream/bytes?n=300000").body, 300000));
  CHECK(is_pattern(conn.request("GET", "/tp-stream/bytes?chunked=1&n=70000").body, 70000));

  // Cut in the middle: the client must not take it for a whole body.
  CHECK_THROWS(http_request(e.host, e.port, "GET", "/tp-stream/bytes?abort_at=600000&n=" + std::to_string(n)));
  CHECK(wait_until([&] { return e.stats()["open"] == 0; }));
}

TEST_CASE("a client that stops reading holds the plugin back and is reported gone when it leaves") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, stream_node());
  StreamEndpoint e(node);

  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock(io);
  sock.connect({boost::asio::ip::make_address(e.host), e.port});
  // 1 GiB asked for, nothing read: the window fills and the plugin is told to wait.
  boost::asio::write(
      sock, boost::asio::buffer(std::string("GET /tp-stream/bytes?n=1073741824 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
  CHECK(wait_until([&] { return e.stats()["window_full"].get<int>() >= 1; }));
  CHECK(e.stats()["open"] == 1);
  // What the plugin could write is what the socket buffers and one window hold, not the 1 GiB:
  // reading it all back shows the download then moves on (a few MiB, then we leave).
  std::vector<char> buf(1 << 20);
  std::size_t got = 0;
  while (got < (8u << 20)) got += sock.read_some(boost::asio::buffer(buf));
  CHECK(e.stats()["window_full"].get<int>() >= 2);
  sock.close();
  CHECK(wait_until([&] { return e.stats()["closed"] == 1; }));
  CHECK_THAT(e.stats()["last_reason"].get<std::string>(), Catch::Contains("went away"));
  CHECK(e.stats()["open"] == 0);
}

TEST_CASE("a stream route removed while its exchanges are open ends them and calls nothing of the plugin after") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, stream_node());
  StreamEndpoint e(node);
  namespace asio = boost::asio;

  asio::io_context io;
  // An upload under way: the plugin has had a piece and asked for the next.
  asio::ip::tcp::socket up(io);
  up.connect({asio::ip::make_address(e.host), e.port});
  const std::size_t total = 1000000;
  asio::write(up, asio::buffer("POST /tp-stream/droppable HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                               std::to_string(total) + "\r\n\r\n" + std::string(100000, 'u')));
  REQUIRE(wait_until([&] { return e.stats()["pieces"].get<int>() >= 1; }));
  // A download under way whose client reads nothing: the plugin waits for `writable`.
  asio::ip::tcp::socket down(io);
  down.connect({asio::ip::make_address(e.host), e.port});
  asio::write(
      down,
      asio::buffer(std::string("GET /tp-stream/droppable-bytes?n=1073741824 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
  REQUIRE(wait_until([&] { return e.stats()["window_full"].get<int>() >= 1; }));

  // The plugin removes both routes; the C++ wrapper frees their callbacks' state right away.
  auto dropped = http_request(e.host, e.port, "POST", "/tp-stream/drop");
  REQUIRE(dropped.status == 200);

  // The rest of the upload: nobody may be told of it. The upload had no answer yet: 503.
  boost::system::error_code ec;
  asio::write(up, asio::buffer(std::string(total - 100000, 'v')), ec);  // the node may stop reading
  std::string answer;
  std::array<char, 4096> buf{};
  for (int i = 0; i < 100000; ++i) {
    const std::size_t n = up.read_some(asio::buffer(buf), ec);
    answer.append(buf.data(), n);
    if (ec) break;
  }
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 503"));
  // The download had begun: it is cut, far short of its 1 GiB.
  std::uint64_t got = 0;
  std::vector<char> big(1 << 20);
  for (int i = 0; i < 100000; ++i) {
    got += down.read_some(asio::buffer(big), ec);
    if (ec) break;
  }
  CHECK(ec);
  CHECK(got < (64u << 20));

  CHECK(e.stats()["after_drop"] == 0);
  // The routes are gone, the node serves on.
  CHECK(http_request(e.host, e.port, "POST", "/tp-stream/droppable", "x").status == 404);
  CHECK(http_request(e.host, e.port, "POST", "/tp-stream/upload", "abc").status == 200);
}
