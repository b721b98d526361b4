// Request/response between two nodes over loopback, side by side with a plain Boost.Asio TCP
// echo measured in the same run: latency (p50/p99, one request in flight) and throughput (a
// window of requests in flight), for 64 B and 64 KiB payloads, reported as ratios.
//
// Butter path: node A's transport sends a request to node B over TCP; B's echo plugin (C++
// wrapper, across the C ABI) answers. Twice: as nodes run by default (Noise handshake, every
// frame sealed with ChaCha20-Poly1305), and with `insecure_plaintext`, which leaves the framing,
// the strand and the ABI crossing: the difference is the cost of encryption. Baseline: a length-prefixed echo server in
// Asio and a client with the same framing and the same window, on the same loopback.
#include "bench_stats.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <boost/asio.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <thread>

using namespace butter;
using namespace butter::bench;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct Figures {
  double p50_us = 0, p99_us = 0, msgs_per_s = 0, mib_per_s = 0;
};

constexpr int kWindow = 32;

// ---- Baseline: plain Asio echo ------------------------------------------------------------
class RawEchoServer {
 public:
  RawEchoServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RawEchoServer() {
    io_.stop();
    thread_.join();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    explicit Session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::uint32_t len = 0;
    std::vector<char> body;
    void read() {
      auto self = shared_from_this();
      asio::async_read(socket, asio::buffer(&len, 4), [self](auto ec, std::size_t) {
        if (ec) return;
        self->body.resize(ntohl(self->len));
        asio::async_read(self->socket, asio::buffer(self->body), [self](auto ec2, std::size_t) {
          if (ec2) return;
          std::array<asio::const_buffer, 2> out{asio::buffer(&self->len, 4), asio::buffer(self->body)};
          asio::async_write(self->socket, out, [self](auto ec3, std::size_t) {
            if (!ec3) self->read();
          });
        });
      });
    }
  };
  void accept() {
    acceptor_.async_accept([this](auto ec, tcp::socket s) {
      if (!ec) {
        s.set_option(tcp::no_delay(true));
        std::make_shared<Session>(std::move(s))->read();
      }
      accept();
    });
  }
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

Figures run_raw(std::size_t size, int latency_rounds, int throughput_msgs) {
  RawEchoServer server;
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  s.set_option(tcp::no_delay(true));
  std::vector<char> payload(size, 'x'), in(size);
  std::uint32_t len = htonl(static_cast<std::uint32_t>(size)), rlen = 0;
  std::array<asio::const_buffer, 2> out{asio::buffer(&len, 4), asio::buffer(payload)};
  std::vector<double> samples;
  for (int i = 0; i < latency_rounds; ++i) {
    auto t0 = Clock::now();
    asio::write(s, out);
    asio::read(s, asio::buffer(&rlen, 4));
    asio::read(s, asio::buffer(in));
    samples.push_back(us_since(t0));
  }
  Figures f;
  f.p50_us = percentile_us(samples, 50);
  f.p99_us = percentile_us(samples, 99);
  std::atomic<int> outstanding{0};
  auto t0 = Clock::now();
  // The writer fills the window with one gathered write, as Butter's transport coalesces queued
  // frames: the baseline gets the same batching, not one syscall per small frame.
  std::thread writer([&] {
    std::vector<asio::const_buffer> batch;
    for (int sent = 0; sent < throughput_msgs;) {
      int room = kWindow - outstanding.load();
      if (room <= 0) {
        std::this_thread::yield();
        continue;
      }
      int n = std::min(room, throughput_msgs - sent);
      batch.clear();
      for (int i = 0; i < n; ++i) {
        batch.push_back(asio::buffer(&len, 4));
        batch.push_back(asio::buffer(payload));
      }
      outstanding += n;
      sent += n;
      asio::write(s, batch);
    }
  });
  for (int i = 0; i < throughput_msgs; ++i) {
    asio::read(s, asio::buffer(&rlen, 4));
    asio::read(s, asio::buffer(in));
    --outstanding;
  }
  writer.join();
  double secs = us_since(t0) / 1e6;
  f.msgs_per_s = throughput_msgs / secs;
  f.mib_per_s = f.msgs_per_s * static_cast<double>(size) / (1024.0 * 1024.0);
  return f;
}

// ---- Butter: two nodes, echo plugin ------------------------------------------------------
host::Manifest manifest(const std::string& name, bool echo, bool plaintext) {
  std::string text =
      "[node]\nname = \"" + name + "\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"\"\nlog_level = \"warn\"\n";
  if (plaintext) text += "insecure_plaintext = true\n";
  if (echo) text += "[plugins.echo]\nplugin = \"butter.example.echo\"\n";
  host::Diagnostics d;
  auto m = host::parse_manifest(text, "<bench>", d);
  if (!m) throw std::runtime_error(d.to_string());
  m->node.plugin_path.push_back(BUTTER_PLUGIN_DIR);
  return *m;
}

Figures run_butter(std::size_t size, int latency_rounds, int throughput_msgs, bool plaintext) {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  host::Node a(rt.io(), manifest("a", false, plaintext), registry),
      b(rt.io(), manifest("b", true, plaintext), registry);
  host::Diagnostics d;
  if (!a.prepare(d) || !b.prepare(d)) throw std::runtime_error(d.to_string());
  if (auto e = a.start()) throw std::runtime_error(e.message);
  if (auto e = b.start()) throw std::runtime_error(e.message);
  std::string peer = b.listen_endpoints().front();
  std::vector<std::uint8_t> payload(size, 'x');
  auto core = a.core();

  // Latency: one request in flight, the next sent from the completion of the previous.
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(latency_rounds));
  std::promise<void> done;
  std::function<void(int)> one = [&](int left) {
    if (left == 0) {
      done.set_value();
      return;
    }
    auto t0 = Clock::now();
    auto e =
        core->transport->request(peer, "/butter/echo/1", payload, std::chrono::seconds(10),
                                 [&, t0, left](std::int32_t st, const host::NodeId&, std::span<const std::uint8_t>) {
                                   if (st != BUTTER_OK) throw std::runtime_error("echo failed");
                                   samples.push_back(us_since(t0));
                                   one(left - 1);
                                 });
    if (e) throw std::runtime_error(e.message);
  };
  a.on_strand([&] {
    one(latency_rounds);
    return 0;
  });
  done.get_future().get();
  Figures f;
  f.p50_us = percentile_us(samples, 50);
  f.p99_us = percentile_us(samples, 99);

  // Throughput: a window of requests in flight.
  std::promise<void> finished;
  int sent = 0, received = 0;
  std::function<void()> send_one = [&] {
    ++sent;
    auto e = core->transport->request(peer, "/butter/echo/1", payload, std::chrono::seconds(30),
                                      [&](std::int32_t st, const host::NodeId&, std::span<const std::uint8_t>) {
                                        if (st != BUTTER_OK) throw std::runtime_error("echo failed");
                                        if (++received == throughput_msgs)
                                          finished.set_value();
                                        else if (sent < throughput_msgs)
                                          send_one();
                                      });
    if (e) throw std::runtime_error(e.message);
  };
  auto t0 = Clock::now();
  a.on_strand([&] {
    for (int i = 0; i < kWindow && i < throughput_msgs; ++i) send_one();
    return 0;
  });
  finished.get_future().get();
  double secs = us_since(t0) / 1e6;
  f.msgs_per_s = throughput_msgs / secs;
  f.mib_per_s = f.msgs_per_s * static_cast<double>(size) / (1024.0 * 1024.0);
  a.stop();
  b.stop();
  return f;
}

void row(const char* label, const char* path, const Figures& f) {
  std::printf("%-8s %-22s %10.1f %10.1f %12.0f %10.1f\n", label, path, f.p50_us, f.p99_us, f.msgs_per_s, f.mib_per_s);
}

void ratio(const char* label, const char* path, const Figures& raw, const Figures& butter) {
  std::printf("%-8s %-22s %9.2fx %9.2fx %11.2fx %9.2fx\n", label, path, butter.p50_us / raw.p50_us,
              butter.p99_us / raw.p99_us, butter.msgs_per_s / raw.msgs_per_s, butter.mib_per_s / raw.mib_per_s);
}

void report(const char* label, const Figures& raw, const Figures& secure, const Figures& plain) {
  row(label, "raw asio", raw);
  row(label, "butter (encrypted)", secure);
  row(label, "butter (plaintext)", plain);
  ratio(label, "ratio encrypted/raw", raw, secure);
  ratio(label, "ratio plaintext/raw", raw, plain);
}

}  // namespace

int main() {
  std::printf("request/response over loopback, window %d for throughput\n", kWindow);
  std::printf("%-8s %-22s %10s %10s %12s %10s\n", "payload", "path", "p50 us", "p99 us", "msgs/s", "MiB/s");
  try {
    {
      auto raw = run_raw(64, 20000, 100000);
      auto b = run_butter(64, 20000, 100000, false);
      auto p = run_butter(64, 20000, 100000, true);
      report("64 B", raw, b, p);
    }
    {
      auto raw = run_raw(64 * 1024, 3000, 10000);
      auto b = run_butter(64 * 1024, 3000, 10000, false);
      auto p = run_butter(64 * 1024, 3000, 10000, true);
      report("64 KiB", raw, b, p);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "benchmark failed: %s\n", e.what());
    return 1;
  }
  std::printf("aim: latency within 1.5x of raw asio, throughput at least 0.70x\n");
  return 0;
}
