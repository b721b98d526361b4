// An io_context running on a background thread, with the node-style strand, and an HttpServer on
// it bound to a free loopback port. Tests talk to it through support/http_client.hpp.
#pragma once
#include "http/http_server.hpp"
#include "support/http_client.hpp"
#include "support/wait.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <optional>
#include <thread>

namespace butter::test {

class Loop {
 public:
  Loop()
      : thread_([this] {
          io.run();
          finished_ = true;
        }) {}
  ~Loop() {
    guard_.reset();
    // Everything the server started must be finished or cancelled once it stopped.
    bool drained = wait_until([this] { return finished_.load(); }, std::chrono::seconds(10));
    CHECK(drained);
    io.stop();
    thread_.join();
  }

  // Runs `fn` on the strand and waits for its result.
  template <class Fn>
  auto on_strand(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    boost::asio::post(strand, [&task] { task(); });
    return result.get();
  }

  host::IoContext io;
  host::Strand strand{boost::asio::make_strand(io)};

 private:
  boost::asio::executor_work_guard<host::IoContext::executor_type> guard_{io.get_executor()};
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

inline host::HttpServerOptions loopback_options() {
  host::HttpServerOptions o;
  o.endpoint = "127.0.0.1:0";
  return o;
}

// A started server on a free loopback port.
struct Served {
  explicit Served(Loop& loop, host::HttpServerOptions options = loopback_options())
      : server(loop.io, loop.strand, std::move(options)) {
    auto err = server.start();
    INFO(err.message);
    REQUIRE_FALSE(err);
    std::string host;
    std::string target;
    split_http_url(server.url(), host, port, target);
  }

  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "") {
    return http_request("127.0.0.1", port, method, target, body);
  }

  host::HttpServer server;
  std::uint16_t port = 0;
};

inline host::HttpResponse text(std::string body, int status = 200) {
  host::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A handler answering `body` at once.
inline host::HttpHandler answer(std::string body) {
  return [body](const host::HttpRequest&, host::HttpResponder respond) { respond(text(body)); };
}

}  // namespace butter::test
