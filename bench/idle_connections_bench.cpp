// The memory an idle encrypted connection costs: N client transports (distinct identities, made
// first and counted in the baseline) each connect to one server transport over loopback; once all
// N connections are up and have sat idle, the RSS growth divided by 2N is the cost of one
// connection end (both ends live in this process). A second figure repeats this after one 256 KiB
// message crossed every connection each way, to show that buffers sized for a burst are given back
// once the connection is idle again. Each figure is also given after malloc_trim(0), which returns
// the allocator's free pages: what the connections hold, without heap the allocator kept.
//
//   butter-bench-idle [N]   (default 500)
#include "bench_stats.hpp"
#include "transport/transport.hpp"

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

using namespace butter;
using namespace butter::bench;
using namespace butter::host;
namespace asio = boost::asio;

namespace {

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

// Resident set size in bytes (/proc/self/statm, second field, in pages).
long rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long size = 0, resident = 0;
  f >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

struct Side {
  Strand strand;
  std::unique_ptr<Transport> t;
  std::atomic<int>* received = nullptr;
  Side(IoContext& io, bool listen, std::size_t max_connections, std::atomic<int>* rx)
      : strand(io.get_executor()), received(rx) {
    TransportOptions o;
    if (listen) o.listen = {"tcp://127.0.0.1:0"};
    o.max_connections = max_connections;
    o.max_handshakes_per_second = 1000000;  // every client dials from 127.0.0.1 within a second
    o.max_handshakes_per_address = 1000000;
    // Every connection stays open for the whole run: no trimming, no idle close (a node's
    // connection manager would trim the server's 500 down to its low watermark after the grace).
    o.connections_high_water = 0;
    o.connection_idle_ms = 0;
    TransportHandlers h;
    // The server sends every message back; a client counts what it gets.
    h.on_message = [this, listen](const NodeId& from, const std::string& protocol, std::span<const std::uint8_t> p) {
      if (listen) {
        if (Error e = t->send(from.hex(), protocol, p)) std::fprintf(stderr, "echo failed: %s\n", e.message.c_str());
      } else if (received) {
        ++*received;
      }
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
};

void wait_until(const std::function<bool()>& done, const char* what) {
  auto t0 = Clock::now();
  while (!done()) {
    if (Clock::now() - t0 > std::chrono::seconds(60)) throw std::runtime_error(std::string("timed out: ") + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::err);
  const int n = argc > 1 ? std::atoi(argv[1]) : 500;
  if (n <= 0) {
    std::fprintf(stderr, "usage: %s [N>0]\n", argv[0]);
    return 2;
  }
  // Two sockets per connection, both in this process.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  try {
    Io io;
    std::atomic<int> received{0};
    Side server(io.io, true, static_cast<std::size_t>(n) + 16, nullptr);
    const std::string uri = on(server.strand, [&] { return server.t->listen_endpoints().at(0); });
    std::vector<std::unique_ptr<Side>> clients;
    for (int i = 0; i < n; ++i) clients.push_back(std::make_unique<Side>(io.io, false, 16, &received));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const long before = rss_bytes();

    std::atomic<int> up{0}, failed{0};
    auto t0 = Clock::now();
    for (auto& c : clients)
      on(c->strand, [&] {
        c->t->connect(uri, [&](Error e, const NodeId&) { ++(e ? failed : up); });
        return 0;
      });
    wait_until([&] { return up + failed == n; }, "connects");
    if (failed) throw std::runtime_error(std::to_string(failed.load()) + " connects failed");
    const double connect_ms = us_since(t0) / 1000.0;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // idle
    const long idle = rss_bytes();
    on(server.strand, [] { return malloc_trim(0); });  // on the io thread, like the allocations
    const long idle_trimmed = rss_bytes();

    // One 256 KiB message each way on every connection, one connection at a time (so that what
    // is measured is what each connection keeps, not the peak of all of them at once), then idle.
    std::vector<std::uint8_t> big(256 * 1024, 0x5a);
    for (int i = 0; i < n; ++i) {
      auto& c = clients[static_cast<std::size_t>(i)];
      if (Error e = on(c->strand, [&] { return c->t->send(uri, "/bench/idle", big); }))
        throw std::runtime_error(e.message);
      wait_until([&] { return received == i + 1; }, "echo");
    }
    std::vector<std::uint8_t>().swap(big);  // not counted below
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const long after_traffic = rss_bytes();
    on(server.strand, [] { return malloc_trim(0); });
    const long after_traffic_trimmed = rss_bytes();

    const double ends = 2.0 * n;
    std::printf("idle encrypted connections over loopback, N=%d (%d connection ends in this process)\n", n, 2 * n);
    std::printf("%-44s %10.1f ms\n", "connect all", connect_ms);
    // "trimmed": after malloc_trim(0), i.e. what the connections hold rather than free heap pages
    // the allocator has not returned yet.
    auto row = [&](const char* what, long rss, long trimmed) {
      std::printf("%-44s %10.1f KiB   (after malloc_trim %6.1f KiB)\n", what, (rss - before) / ends / 1024.0,
                  (trimmed - before) / ends / 1024.0);
    };
    row("RSS per connection end, idle", idle, idle_trimmed);
    row("RSS per end, idle after 256 KiB each way", after_traffic, after_traffic_trimmed);
    std::printf("%-44s %10.1f MiB\n", "RSS before connects (N transports)", before / 1048576.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "benchmark failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
