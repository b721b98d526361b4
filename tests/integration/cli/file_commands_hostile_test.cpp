// butter get / cat against nodes that cannot be trusted, played by a fake HTTP server in this test
// on loopback (no real node): one that accepts and never answers (the --timeout fires), one that
// serves a manifest that does not hash to the id, one whose bytes do not match its manifest (cat
// writes no byte of a block before it matched), one with no manifest (refused without
// --unverified), one that answers a resume with the wrong range, one whose body
// stops short of its Content-Length; and get never replaces an
// existing file without --force. Every refusal exits 1 and leaves no output file.
#include "cli_files.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

#include <butter/iface/storage2.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <sodium.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::uint32_t kBlock = 1024;  // the smallest block size: a few blocks stay small

std::string sha256(std::string_view bytes) {
  std::string h(32, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(h.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size());
  return h;
}

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

void put_be(std::string& out, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The manifest of `data` (sdk iface/storage2.h), with no keywords.
std::string manifest_of(const std::string& data) {
  std::string m(BUTTER_STORAGE_MANIFEST_MAGIC, 4);
  m.push_back(static_cast<char>(BUTTER_STORAGE_MANIFEST_VERSION));
  put_be(m, data.size(), 8);
  put_be(m, kBlock, 4);
  const std::size_t n = (data.size() + kBlock - 1) / kBlock;
  put_be(m, n, 4);
  for (std::size_t i = 0; i < n; ++i) m += sha256(std::string_view(data).substr(i * kBlock, kBlock));
  put_be(m, 0, 2);
  return m;
}

// What the fake node serves for one object.
struct Script {
  std::string id;
  std::optional<std::string> manifest;  // GET /storage/<id>/manifest (404 when absent)
  std::string body;                     // GET /storage/<id>: 200 with ETag = id
  std::string content_range;            // when set, a Range request gets 206 with this and body from its start
  bool silent = false;                  // accept, read nothing, answer nothing
};

// A one-thread HTTP server on 127.0.0.1 that plays `script`, one connection at a time.
class FakeNode {
 public:
  // `cut_body`: GET /storage/<id> says the whole Content-Length, sends this many bytes and closes.
  explicit FakeNode(Script script, std::optional<std::size_t> cut_body = std::nullopt)
      : script_(std::move(script)), cut_body_(cut_body) {
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeNode() {
    stop_ = true;
    // Wakes the blocking accept with a connection of our own.
    boost::system::error_code ec;
    asio::ip::tcp::socket wake(io_);
    wake.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

 private:
  void serve() {
    for (int i = 0; i < 1000 && !stop_; ++i) {
      asio::ip::tcp::socket sock(io_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) return;
      if (script_.silent) {
        held_.push_back(std::move(sock));  // open and mute until the test ends
        ++requests_;
        continue;
      }
      answer(sock);
    }
  }

  void answer(asio::ip::tcp::socket& sock) {
    boost::system::error_code ec;
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::read(sock, buf, req, ec);
    if (ec) return;
    ++requests_;
    const std::string target(req.target());
    http::response<http::string_body> res;
    res.version(11);
    res.keep_alive(false);
    res.set(http::field::etag, "\"" + script_.id + "\"");
    if (target == "/storage/" + script_.id + "/manifest" && script_.manifest) {
      res.result(200);
      res.body() = *script_.manifest;
    } else if (target == "/storage/" + script_.id && cut_body_) {
      const std::string head = "HTTP/1.1 200 OK\r\nETag: \"" + script_.id +
                               "\"\r\nContent-Length: " + std::to_string(script_.body.size()) +
                               "\r\nConnection: close\r\n\r\n";
      asio::write(sock, asio::buffer(head + script_.body.substr(0, *cut_body_)), ec);
      sock.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
      return;
    } else if (target == "/storage/" + script_.id) {
      const std::string range(req[http::field::range]);
      if (!range.empty() && !script_.content_range.empty()) {
        const std::uint64_t from = std::stoull(range.substr(range.find('=') + 1));
        res.result(206);
        res.set(http::field::content_range, script_.content_range);
        res.body() = script_.body.substr(std::min<std::uint64_t>(from, script_.body.size()));
      } else {
        res.result(200);
        res.body() = script_.body;
      }
    } else {
      res.result(404);
      res.body() = "not found\n";
    }
    res.prepare_payload();
    if (req.method() == http::verb::head) {
      http::response<http::empty_body> head{res.result(), 11};
      head.set(http::field::etag, "\"" + script_.id + "\"");
      head.content_length(res.body().size());
      head.keep_alive(false);
      http::write(sock, head, ec);
    } else {
      http::write(sock, res, ec);
    }
    sock.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }

  Script script_;
  std::optional<std::size_t> cut_body_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::vector<asio::ip::tcp::socket> held_;
  std::thread thread_;
};

struct Object {
  std::string data = random_bytes(3 * kBlock + 100, 7);  // three whole blocks and a short one
  std::string manifest = manifest_of(data);
  std::string id = hex(sha256(manifest));
};

}  // namespace

TEST_CASE("butter cat and get give up on a node that accepts and never answers, within --timeout") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", true});
  Dir d;
  std::string err;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url(), "--timeout", "1"}, d / "out", err,
                   std::chrono::seconds(30)) == 1);
  CHECK_THAT(err, Catch::Contains("did not answer") && Catch::Contains("nothing within 1 s"));
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url(), "--timeout", "0.5"}, d / "out", err,
                   std::chrono::seconds(30)) == 1);
  CHECK_THAT(err, Catch::Contains("nothing within 500 ms"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));
  // Each gave up after its own timeout, not the default minute.
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
  CHECK(node.requests() == 2);
  CHECK(run_butter(d, {"cat", o.id, "--timeout", "0"}, d / "out", err) == 2);
  CHECK_THAT(err, Catch::Contains("--timeout takes seconds"));
}

TEST_CASE("butter get and cat refuse a manifest that does not hash to the id and write nothing") {
  Object o;
  std::string forged = o.manifest;
  forged[30] = static_cast<char>(forged[30] ^ 1);
  FakeNode node(Script{o.id, forged, o.data, "", false});
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("does not hash to the object id"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url()}, d / "out", err) == 1);
  CHECK(read_file(d / "out").empty());
}

TEST_CASE("butter get and cat refuse bytes that do not match the manifest, and cat writes only verified blocks") {
  Object o;
  std::string lie = o.data;
  lie[2 * kBlock + 5] = static_cast<char>(lie[2 * kBlock + 5] ^ 0x40);  // the third block
  FakeNode node(Script{o.id, o.manifest, lie, "", false});
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("block 2 does not match"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));
  // Standard output gets the two blocks that matched and not one byte of the third.
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("block 2 does not match"));
  CHECK(read_file(d / "out") == o.data.substr(0, 2 * kBlock));
}

TEST_CASE("butter get and cat stop at a body cut short of its Content-Length, and cat writes only verified blocks") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false}, 2 * kBlock + 10);
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("broke off"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("broke off"));
  CHECK(read_file(d / "out") == o.data.substr(0, 2 * kBlock));
}

TEST_CASE("butter get refuses an object served without a manifest unless --unverified") {
  Object o;
  FakeNode node(Script{o.id, std::nullopt, o.data, "", false});
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("serves no manifest") && Catch::Contains("--unverified"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url()}, d / "out", err) == 1);
  CHECK(read_file(d / "out").empty());
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--unverified", "--node", node.url()}, d / "out", err) == 0);
  CHECK_THAT(err, Catch::Contains("UNVERIFIED"));
  CHECK(read_file(d / "x") == o.data);
}

TEST_CASE("butter get does not replace an existing file without --force") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  std::string err;
  write_file(d / "x", "mine");
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("exists") && Catch::Contains("--force"));
  CHECK(read_file(d / "x") == "mine");
  CHECK(node.requests() == 0);  // refused before asking the node anything
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--force", "--node", node.url()}, d / "out", err) == 0);
  CHECK(read_file(d / "x") == o.data);
}

TEST_CASE("butter get refuses a 206 whose Content-Range is not exactly the range it asked for") {
  Object o;
  const std::string total = std::to_string(o.data.size());
  Dir d;
  std::string err;
  // Resuming after one verified block: bytes 1024-... asked for.
  for (const std::string& wrong :
       {"bytes 0-" + std::to_string(o.data.size() - 1) + "/" + total,                             // another start
        "bytes 1024-2047/" + total,                                                               // another end
        "bytes 1024-" + std::to_string(o.data.size()) + "/" + std::to_string(o.data.size() + 1),  // another total
        std::string("bytes */") + total}) {                                                       // no range
    INFO(wrong);
    FakeNode node(Script{o.id, o.manifest, o.data, wrong, false});
    write_file(d / "x.part", o.data.substr(0, kBlock));
    CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
    CHECK_THAT(err, Catch::Contains("resuming") && Catch::Contains("range \"", Catch::CaseSensitive::No));
    CHECK_FALSE(fs::exists(d / "x"));
  }
  // The right range is taken.
  FakeNode node(
      Script{o.id, o.manifest, o.data, "bytes 1024-" + std::to_string(o.data.size() - 1) + "/" + total, false});
  write_file(d / "x.part", o.data.substr(0, kBlock));
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 0);
  CHECK_THAT(err, Catch::Contains("(206 Partial Content)"));
  CHECK(read_file(d / "x") == o.data);
}
