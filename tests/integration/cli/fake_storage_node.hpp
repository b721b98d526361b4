// A fake storage node for the file-command tests: a one-thread HTTP server on loopback that serves
// one object's manifest and bytes as a script says (or lies, or cuts the body short, or says
// nothing), takes any put for that object and finds it for any search, so that tests can play a
// node that cannot be trusted without starting a real one.
#pragma once
#include "cli_files.hpp"

#include <butter/iface/storage2.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace butter::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::uint32_t kBlock = 1024;  // the smallest block size: a few blocks stay small

inline std::string sha256(std::string_view bytes) {
  std::string h(32, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(h.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size());
  return h;
}

inline std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

inline void put_be(std::string& out, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The manifest of `data` (sdk iface/storage2.h), with no keywords.
inline std::string manifest_of(const std::string& data) {
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
  // The answer to whatever it does not serve: a node without the route says "not found", a
  // pcg-storage node that located nobody holding the object "BUTTER_E_NOT_FOUND: ...", one
  // whose read ran out of time 504.
  int missing_status = 404;
  std::string missing_body = "not found\n";
};

// How GET /storage/<id> is answered, for tests of answers that break off and are resumed.
struct Serving {
  bool ranges = false;  // a Range request gets 206 with exactly the range asked for
  // The n-th GET /storage/<id> sends cuts[n] bytes of its body and closes (its head says them all);
  // the answers past the list are whole.
  std::vector<std::size_t> cuts;
};

// A one-thread HTTP server on 127.0.0.1 that plays `script`, one connection at a time.
class FakeNode {
 public:
  // `cut_body`: every GET /storage/<id> says the whole Content-Length, sends this many bytes and closes.
  explicit FakeNode(Script script, std::optional<std::size_t> cut_body = std::nullopt)
      : FakeNode(std::move(script), Serving{}, cut_body) {}
  FakeNode(Script script, Serving serving, std::optional<std::size_t> cut_body = std::nullopt)
      : script_(std::move(script)), serving_(std::move(serving)), cut_body_(cut_body) {
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
  // The Range header of each GET /storage/<id> so far, in order ("" for none).
  std::vector<std::string> ranges_asked() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ranges_asked_;
  }

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
    } else if (target == "/storage/" + script_.id) {
      const std::string range(req[http::field::range]);
      std::size_t n = 0;
      if (req.method() == http::verb::get) {
        std::lock_guard<std::mutex> lock(mutex_);
        n = ranges_asked_.size();
        ranges_asked_.push_back(range);
      }
      if (!range.empty() && (serving_.ranges || !script_.content_range.empty())) {
        const std::uint64_t from =
            std::min<std::uint64_t>(std::stoull(range.substr(range.find('=') + 1)), script_.body.size());
        res.result(206);
        res.set(http::field::content_range, serving_.ranges ? "bytes " + std::to_string(from) + "-" +
                                                                  std::to_string(script_.body.size() - 1) + "/" +
                                                                  std::to_string(script_.body.size())
                                                            : script_.content_range);
        res.body() = script_.body.substr(from);
      } else {
        res.result(200);
        res.body() = script_.body;
      }
      const std::optional<std::size_t> cut = cut_body_                  ? cut_body_
                                             : n < serving_.cuts.size() ? std::optional<std::size_t>(serving_.cuts[n])
                                                                        : std::nullopt;
      if (req.method() == http::verb::get && cut) {
        // The head promises the whole body; the connection closes after `cut` bytes of it.
        std::string head = "HTTP/1.1 " + std::to_string(res.result_int()) + " " + std::string(res.reason()) +
                           "\r\nETag: \"" + script_.id + "\"\r\nContent-Length: " + std::to_string(res.body().size()) +
                           "\r\nConnection: close\r\n";
        if (res.result() == http::status::partial_content)
          head += "Content-Range: " + std::string(res[http::field::content_range]) + "\r\n";
        asio::write(sock, asio::buffer(head + "\r\n" + res.body().substr(0, *cut)), ec);
        sock.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
        return;
      }
    } else if (req.method() == http::verb::post && (target == "/storage" || target.rfind("/storage?", 0) == 0)) {
      // A put, taken for the script's object whatever came (the tests put its bytes; butter put
      // then checks them against its manifest).
      res.result(201);
      res.body() = "{\"id\":\"" + script_.id + "\",\"replicas\":1,\"message\":\"stored\"}";
    } else if (req.method() == http::verb::get && target.rfind("/search?", 0) == 0) {
      // Every search finds the script's object, on one made-up holder.
      res.result(200);
      res.body() = "{\"hits\":[{\"object\":\"" + script_.id + "\",\"node\":\"" + std::string(64, 'f') +
                   "\",\"keywords\":[\"x\"]}],\"done\":{\"reason\":\"complete\"}}";
    } else {
      res.result(static_cast<unsigned>(script_.missing_status));
      res.body() = script_.missing_body;
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
  Serving serving_;
  std::optional<std::size_t> cut_body_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> ranges_asked_;
  std::vector<asio::ip::tcp::socket> held_;
  std::thread thread_;
};

// An object of a few blocks, its manifest and id, for the fake node to serve.
struct Object {
  std::string data = random_bytes(3 * kBlock + 100, 7);  // three whole blocks and a short one
  std::string manifest = manifest_of(data);
  std::string id = hex(sha256(manifest));
};

}  // namespace butter::test
