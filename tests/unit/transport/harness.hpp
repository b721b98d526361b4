// Loopback test harness: an io_context on its own thread and nodes that each own a strand and a
// Transport. All transport state is touched on the node's strand only; the test thread reaches
// it through on(), which posts and waits (with a deadline), so nothing here needs a lock.
#pragma once
#include "support/wait.hpp"
#include "transport/transport.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <memory>
#include <thread>

namespace butter::test {

using namespace butter::host;

class IoThread {
 public:
  IoThread() : guard_(io.get_executor()), thread_([this] { io.run(); }) {}
  ~IoThread() {
    guard_.reset();
    thread_.join();  // nodes are gone by now; run() returns once the last handler drained
  }
  IoContext io;

 private:
  boost::asio::executor_work_guard<IoContext::executor_type> guard_;
  std::thread thread_;
};

// Runs `f` on `strand` and returns its result; fails the test if the strand does not get to it.
template <class F>
auto run_on(const Strand& strand, F f) -> decltype(f()) {
  using R = decltype(f());
  std::promise<R> p;
  auto fut = p.get_future();
  boost::asio::post(strand, [&] {
    try {
      if constexpr (std::is_void_v<R>) {
        f();
        p.set_value();
      } else {
        p.set_value(f());
      }
    } catch (...) {
      p.set_exception(std::current_exception());
    }
  });
  if (fut.wait_for(std::chrono::seconds(20)) != std::future_status::ready) FAIL("strand did not run the call");
  return fut.get();
}

inline std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string text(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }

// The completion of one request, as seen from the test thread (through the strand).
struct Outcome {
  bool done = false;
  int calls = 0;
  std::int32_t status = 1;
  NodeId from;
  std::string payload;
};

struct TestNode {
  using RequestHandler =
      std::function<void(TestNode&, const NodeId&, const std::string&, const std::string&, ReplyToken)>;

  // `tweak` adjusts the options; `handler` answers requests (null: no on_request at all).
  TestNode(IoContext& io, std::function<void(TransportOptions&)> tweak = {}, RequestHandler handler = {})
      : strand(io.get_executor()) {
    TransportOptions o;
    o.identity = std::make_shared<const Identity>(Identity::generate());
    id = o.identity->id();
    o.self = id;
    o.listen = {"tcp://127.0.0.1:0"};
    if (tweak) tweak(o);
    TransportHandlers h;
    h.on_message = [this](const NodeId& from, const std::string& proto, std::span<const std::uint8_t> p) {
      messages.push_back({from, proto, text(p)});
    };
    if (handler)
      h.on_request = [this, handler](const NodeId& from, const std::string& proto, std::span<const std::uint8_t> p,
                                     ReplyToken t) { handler(*this, from, proto, text(p), t); };
    h.on_peer_up = [this](const PeerInfo& pi) { ups.push_back(pi); };
    h.on_peer_down = [this](const NodeId& n, const std::string& why) { downs.emplace_back(n, why); };
    transport = std::make_unique<Transport>(io, strand, o, h);
    auto err = on([&] { return transport->start(); });
    INFO(err.message);
    REQUIRE_FALSE(err);
    uri = on([&] { return transport->listen_endpoints().at(0); });
  }
  ~TestNode() {
    // Stop and destroy on the strand, as the node would.
    run_on(strand, [&] {
      transport->stop();
      transport.reset();
    });
  }

  template <class F>
  auto on(F f) -> decltype(f()) {
    return run_on(strand, std::move(f));
  }
  bool wait(std::function<bool(TestNode&)> cond, std::chrono::milliseconds t = std::chrono::seconds(10)) {
    return wait_until([&] { return on([&] { return cond(*this); }); }, t);
  }

  // Sends a request from the strand; the outcome fills in when it completes.
  std::shared_ptr<Outcome> request(const std::string& peer, const std::string& proto, const std::string& payload,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                   Error* error = nullptr) {
    auto out = std::make_shared<Outcome>();
    auto e = on([&] {
      return transport->request(peer, proto, bytes(payload), timeout,
                                [out](std::int32_t s, const NodeId& from, std::span<const std::uint8_t> p) {
                                  out->done = true;
                                  ++out->calls;
                                  out->status = s;
                                  out->from = from;
                                  out->payload = text(p);
                                });
    });
    if (error)
      *error = e;
    else {
      INFO(e.message);
      REQUIRE_FALSE(e);
    }
    return out;
  }
  // Waits for an outcome and returns a copy of it.
  Outcome wait_outcome(const std::shared_ptr<Outcome>& out) {
    REQUIRE(wait([&](TestNode&) { return out->done; }));
    return on([&] { return *out; });
  }
  Transport::Stats stats() {
    return on([&] { return transport->stats(); });
  }

  struct Msg {
    NodeId from;
    std::string protocol, payload;
  };

  Strand strand;
  NodeId id;
  std::string uri;
  std::unique_ptr<Transport> transport;
  std::vector<Msg> messages;
  std::vector<PeerInfo> ups;
  std::vector<std::pair<NodeId, std::string>> downs;
  std::vector<ReplyToken> held;  // requests a handler chose not to answer yet
};

// A handler that answers "echo:<payload>".
inline TestNode::RequestHandler echo_handler() {
  return [](TestNode& n, const NodeId&, const std::string&, const std::string& p, ReplyToken t) {
    n.transport->reply(t, BUTTER_OK, bytes("echo:" + p));
  };
}
// A handler that keeps the token and never answers (until the test does).
inline TestNode::RequestHandler hold_handler() {
  return [](TestNode& n, const NodeId&, const std::string&, const std::string&, ReplyToken t) { n.held.push_back(t); };
}

// Connects a to b and waits until both sides see each other.
inline void connect(TestNode& a, TestNode& b) {
  a.on([&] { a.transport->connect(b.uri, {}); });
  REQUIRE(a.wait([&](TestNode& n) { return n.transport->is_connected(b.id); }));
  REQUIRE(b.wait([&](TestNode& n) { return n.transport->is_connected(a.id); }));
}

}  // namespace butter::test
