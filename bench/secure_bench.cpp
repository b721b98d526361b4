// The cost of the secure transport: handshakes per second (a full connect — TCP, Noise XX,
// HELLO — from a fresh transport each time), and request/response over loopback encrypted vs
// plaintext in the same run (64 B and 64 KiB, a window of requests in flight), as ratios.
#include "bench_stats.hpp"
#include "transport/secure_channel.hpp"
#include "transport/transport.hpp"

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <future>
#include <thread>

using namespace butter;
using namespace butter::bench;
using namespace butter::host;
namespace asio = boost::asio;

namespace {

constexpr int kWindow = 32;

struct Io {
  IoContext io;
  asio::executor_work_guard<IoContext::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~Io() {
    guard.reset();
    thread.join();
  }
};

template <class F>
auto on(const Strand& s, F f) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto fut = task.get_future();
  asio::post(s, [&] { task(); });
  return fut.get();
}

struct Side {
  Strand strand;
  std::unique_ptr<Transport> t;
  Side(IoContext& io, bool plaintext, bool echo) : strand(io.get_executor()) {
    TransportOptions o;
    o.plaintext = plaintext;
    o.listen = {"tcp://127.0.0.1:0"};
    // The transport's own cost is measured here, not a node's admission limits: a connect loop
    // runs far above the default max_handshakes_per_second.
    o.max_handshakes_per_second = 1000000;
    o.max_handshakes_per_address = 1000000;
    o.connections_high_water = 0;  // and no connection manager: every connection is the bench's
    o.connection_idle_ms = 0;
    TransportHandlers h;
    if (echo)
      h.on_request = [this](const NodeId&, const std::string&, std::span<const std::uint8_t> p, ReplyToken tok) {
        (void)t->reply(tok, BUTTER_OK, p);
      };
    t = std::make_unique<Transport>(io, strand, o, h);
    if (Error e = on(strand, [&] { return t->start(); })) throw std::runtime_error(e.message);
  }
  ~Side() {
    on(strand, [&] {
      t->stop();
      t.reset();
      return 0;
    });
  }
  std::string uri() {
    return on(strand, [&] { return t->listen_endpoints().at(0); });
  }
};

// Raw SecureChannel handshakes in memory: the crypto cost alone.
double channel_handshakes_per_s(int n) {
  auto ia = std::make_shared<const Identity>(Identity::generate());
  auto ib = std::make_shared<const Identity>(Identity::generate());
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    SecureChannel a(ia, true, false), b(ib, false, false);
    std::vector<std::uint8_t> to_b = a.start(), to_a = b.start(), plain;
    while (!to_a.empty() || !to_b.empty()) {
      std::vector<std::uint8_t> na, nb;
      if (!to_b.empty()) b.feed(to_b, na, plain);
      if (!to_a.empty()) a.feed(to_a, nb, plain);
      to_a = std::move(na);
      to_b = std::move(nb);
    }
    if (!a.established() || !b.established()) throw std::runtime_error("handshake failed");
  }
  return n / (us_since(t0) / 1e6);
}

// Full connects over loopback: a fresh client transport each time to a long-lived server.
double connects_per_s(bool plaintext, int n) {
  Io io;
  Side server(io.io, plaintext, false);
  auto uri = server.uri();
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    Side client(io.io, plaintext, false);
    std::promise<Error> p;
    on(client.strand, [&] {
      client.t->connect(uri, [&](Error e, const NodeId&) { p.set_value(e); });
      return 0;
    });
    if (Error e = p.get_future().get()) throw std::runtime_error(e.message);
  }
  return n / (us_since(t0) / 1e6);
}

double requests_per_s(bool plaintext, std::size_t size, int total) {
  Io io;
  Side a(io.io, plaintext, false), b(io.io, plaintext, true);
  auto uri = b.uri();
  std::vector<std::uint8_t> payload(size, 0x42);
  std::promise<void> connected;
  on(a.strand, [&] {
    a.t->connect(uri, [&](Error, const NodeId&) { connected.set_value(); });
    return 0;
  });
  connected.get_future().get();
  std::promise<void> finished;
  int sent = 0, done = 0;
  std::function<void()> send_one = [&] {
    ++sent;
    Error e = a.t->request(uri, "/bench/1", payload, std::chrono::seconds(30),
                           [&](std::int32_t status, const NodeId&, std::span<const std::uint8_t>) {
                             if (status != BUTTER_OK) std::fprintf(stderr, "request failed: %d\n", status);
                             if (++done == total)
                               finished.set_value();
                             else if (sent < total)
                               send_one();
                           });
    if (e) throw std::runtime_error(e.message);
  };
  auto t0 = Clock::now();
  on(a.strand, [&] {
    for (int i = 0; i < kWindow && i < total; ++i) send_one();
    return 0;
  });
  finished.get_future().get();
  return total / (us_since(t0) / 1e6);
}

}  // namespace

int main() {
  spdlog::set_level(spdlog::level::err);  // plaintext transports warn at start
  try {
    std::printf("secure transport cost (Noise XX + ChaCha20-Poly1305) vs plaintext, same run\n");
    double hs = channel_handshakes_per_s(2000);
    std::printf("%-34s %12.0f /s  (crypto only, in memory)\n", "SecureChannel handshakes", hs);
    double ce = connects_per_s(false, 300), cp = connects_per_s(true, 300);
    std::printf("%-34s %12.0f /s\n", "connects (TCP+handshake+HELLO) enc", ce);
    std::printf("%-34s %12.0f /s\n", "connects plaintext", cp);
    std::printf("%-34s %11.2fx\n", "ratio encrypted/plaintext", ce / cp);
    for (auto [size, total] : {std::pair<std::size_t, int>{64, 100000}, {64 * 1024, 10000}}) {
      double e = requests_per_s(false, size, total), p = requests_per_s(true, size, total);
      std::printf(
          "req/resp %6zu B window %d: encrypted %10.0f msgs/s (%8.1f MiB/s)  plaintext %10.0f msgs/s "
          "(%8.1f MiB/s)  ratio %.2fx\n",
          size, kWindow, e, e * static_cast<double>(size) / 1048576.0, p, p * static_cast<double>(size) / 1048576.0,
          e / p);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "benchmark failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
