// What slow, silent and greedy peers can make a node hold (issue 17), measured on a real node in
// its own process: the embedded default manifest's plugins (discovery left out) plus the echo
// example, memory_budget 64 MiB, on loopback. Each attack is played with raw clients that speak
// the real, encrypted frames; while it is on, an honest peer's echo round trip is timed and a
// newcomer tries to connect. Printed per attack: what the victim held (from its /status), its
// peak RSS against its budget, and the honest p50 during the attack against before it (a ratio
// measured in the same run).
//
//   butter-bench-attacks [--quick]     (--quick: smaller counts, for a smoke run)
#include "bench_stats.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"
#include "support/http_client.hpp"
#include "support/raw_peer.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace butter;
using namespace butter::test;
using bench::Clock;
using json = nlohmann::json;

namespace {

constexpr std::uint64_t kBudget = 64ull * 1024 * 1024;
constexpr const char* kEcho = "/butter/echo/1";

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

// ---- the victim: a node in a child process, reporting its endpoints through a pipe ----------
[[noreturn]] void victim_main(int out_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  raise_fd_limit();
  spdlog::set_level(spdlog::level::err);
  try {
    host::Diagnostics d;
    auto m = host::parse_manifest(std::string(host::default_manifest_text()), "<default manifest>", d);
    if (!m) throw std::runtime_error(d.to_string());
    m->node.name = "victim";
    m->node.listen = {"tcp://127.0.0.1:0"};
    m->node.http = "127.0.0.1:0";
    m->node.log_level = "error";
    m->node.memory_budget = kBudget;
    m->node.plugin_path.push_back(BUTTER_PLUGIN_DIR);
    std::erase_if(m->plugins, [](const auto& p) { return p.instance == "discovery"; });
    auto echo =
        host::parse_manifest("[node]\nname=\"x\"\n[plugins.echo]\nplugin = \"butter.example.echo\"\n", "<echo>", d);
    if (!echo) throw std::runtime_error(d.to_string());
    m->plugins.push_back(echo->plugins.front());
    host::Runtime rt(1);
    host::PluginRegistry registry;
    host::Node node(rt.io(), *m, registry);
    if (!node.prepare(d)) throw std::runtime_error(d.to_string());
    if (auto e = node.start()) throw std::runtime_error(e.message);
    std::string line = node.listen_endpoints().at(0) + " " + node.http_url() + "\n";
    if (write(out_fd, line.data(), line.size()) < 0) _exit(3);
    for (;;) pause();  // until the parent kills us
  } catch (const std::exception& e) {
    std::fprintf(stderr, "victim: %s\n", e.what());
    _exit(2);
  }
}

std::uint64_t rss_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

// Samples the victim's RSS every 20 ms; peak() since the last reset().
class RssSampler {
 public:
  explicit RssSampler(pid_t pid) : pid_(pid), thread_([this] { run(); }) {}
  ~RssSampler() {
    stop_ = true;
    thread_.join();
  }
  void reset() { peak_ = rss_of(pid_); }
  std::uint64_t peak() const { return peak_; }

 private:
  void run() {
    while (!stop_) {
      auto r = rss_of(pid_);
      if (r > peak_) peak_ = r;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a sampling period, not a wait
    }
  }
  pid_t pid_;
  std::atomic<std::uint64_t> peak_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An honest peer: says HELLO, then times echo round trips one at a time. Its connection is not
// protected (it is no overlay neighbour of the victim's), so the connection manager may trim it
// above the high watermark: then it redials, as a real peer does, and the redial is counted.
struct Honest {
  std::string uri;
  std::unique_ptr<RawSecureClient> c;
  std::uint64_t next = 1;
  int redials = 0;
  explicit Honest(std::string u) : uri(std::move(u)) { dial(); }
  bool dial() {
    c = std::make_unique<RawSecureClient>(uri);
    if (!c->ch.established()) return false;
    c->hello();
    return true;
  }
  // p50 of `n` echo round trips in microseconds; negative when one failed after a redial.
  double p50_us(int n) {
    std::vector<double> s;
    for (int i = 0; i < n; ++i) {
      auto t0 = Clock::now();
      std::optional<host::Frame> r;
      try {
        r = c->request(next++, kEcho, "ping");
      } catch (const std::exception&) {
      }
      if (!r) {
        ++redials;
        if (!dial()) return -1;
        t0 = Clock::now();
        r = c->request(next++, kEcho, "ping");
      }
      if (!r || r->status != BUTTER_OK) return -1;
      s.push_back(bench::us_since(t0));
    }
    return bench::percentile_us(s, 50);
  }
};

// A newcomer connects, says HELLO and gets an echo answered; refused, it retries with doubling
// backoff from 10 ms for up to 2 s, as a real node's dialler does. Returns how many of `tries`
// newcomers got in.
int newcomers_in(const std::string& uri, int tries) {
  int ok = 0;
  for (int i = 0; i < tries; ++i) {
    const auto give_up = Clock::now() + std::chrono::seconds(2);
    for (auto backoff = std::chrono::milliseconds(10); Clock::now() < give_up; backoff *= 2) {
      try {
        RawSecureClient c(uri);
        if (c.ch.established()) {
          c.hello();
          auto r = c.request(1, kEcho, "hi");
          if (r && r->status == BUTTER_OK) {
            ++ok;
            break;
          }
        }
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(backoff);  // the newcomer's retry backoff
    }
  }
  return ok;
}

json status_of(const std::string& http_url) {
  auto r = http_get(http_url + "/status", std::chrono::seconds(10));
  return json::parse(r.body);
}

std::string mib(std::uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1024.0 * 1024.0));
  return buf;
}

// Progress on stderr, so a slow phase shows where it is.
void phase(const std::string& what) {
  static const auto t0 = Clock::now();
  std::fprintf(stderr, "[%6.1f s] %s\n", bench::us_since(t0) / 1e6, what.c_str());
}

struct Row {
  std::string attack, held;
  std::uint64_t peak_rss = 0;
  double p50_us = 0;
  int newcomers = 0, tries = 0;
};

std::vector<std::uint8_t> sealed_partial_frame(RawSecureClient& c, std::size_t total, std::size_t sent) {
  std::vector<std::uint8_t> head = host::encode_frame_head(host::FrameType::kOneway, 0, 0, "/bulk/1", total);
  std::vector<std::uint8_t> plain(head);
  plain.resize(sent, 0x5a);
  std::vector<std::uint8_t> wire;
  if (!c.ch.seal(plain, wire)) throw std::runtime_error("seal failed");
  return wire;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (argc > 2 || (argc == 2 && !quick)) {
    std::fprintf(stderr, "usage: butter-bench-attacks [--quick]\n");
    return 2;
  }
  raise_fd_limit();
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    victim_main(fds[1]);
  }
  close(fds[1]);
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reaper{pid};
  std::string line;
  char ch;
  while (read(fds[0], &ch, 1) == 1 && ch != '\n') line += ch;
  std::istringstream in(line);
  std::string uri, http;
  if (!(in >> uri >> http)) {
    std::fprintf(stderr, "the victim node did not start\n");
    return 1;
  }
  std::printf("attacks: one node (default plugins + echo, memory_budget %s) in its own process on loopback%s\n",
              mib(kBudget).c_str(), quick ? " (--quick)" : "");

  RssSampler rss(pid);
  Honest honest(uri);
  if (!honest.c->ch.established()) {
    std::fprintf(stderr, "the honest peer could not connect\n");
    return 1;
  }
  const int kRounds = quick ? 50 : 200, kTries = 6;
  const double before = honest.p50_us(kRounds);
  rss.reset();
  const std::uint64_t idle_rss = rss_of(pid);
  std::vector<Row> rows;

  phase("baseline measured");
  // 1. Peers that never read their answers: each sends echo requests of 16 KiB and reads nothing.
  {
    const int peers = quick ? 8 : 24, per_peer = quick ? 500 : 2000;
    rss.reset();
    std::vector<std::unique_ptr<RawSecureClient>> greedy;
    std::vector<std::thread> writers;
    for (int i = 0; i < peers; ++i) {
      greedy.push_back(std::make_unique<RawSecureClient>(uri));
      greedy.back()->hello();
    }
    for (auto& g : greedy)
      writers.emplace_back([&g, per_peer] {
        try {
          for (int r = 1; r <= per_peer; ++r) {
            host::Frame f;
            f.type = host::FrameType::kRequest;
            f.request_id = static_cast<std::uint64_t>(r);
            f.protocol = kEcho;
            f.payload.assign(16 * 1024, 'g');
            g->write(g->sealed(f));  // blocks once the victim stops reading: then it is shed
          }
        } catch (const std::exception&) {
        }
      });
    phase("non-readers connected, flooding");
    std::this_thread::sleep_for(std::chrono::seconds(quick ? 1 : 3));  // let the flood build up
    Row row;
    phase("measuring honest p50 during the flood");
    row.attack =
        "peers that never read (" + std::to_string(peers) + " x " + std::to_string(per_peer) + " echo of 16 KiB)";
    row.p50_us = honest.p50_us(kRounds);
    row.newcomers = newcomers_in(uri, kTries);
    row.tries = kTries;
    auto st = status_of(http);
    row.held = "queued " + mib(st["transport"]["memory"]["queued_out_bytes"].get<std::uint64_t>()) + ", shed " +
               std::to_string(st["transport"]["requests_shed"].get<std::uint64_t>()) + ", refused for memory " +
               std::to_string(st["transport"]["memory_refusals"].get<std::uint64_t>()) + ", closed " +
               std::to_string(st["transport"]["stalled_closes"].get<std::uint64_t>()) + " non-readers";
    for (auto& g : greedy) {
      boost::system::error_code ec;
      g->s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
      g->s.close(ec);
    }
    for (auto& w : writers) w.join();
    row.peak_rss = rss.peak();
    rows.push_back(row);
  }

  phase("non-readers done");
  // 2. Partial frames: each peer sends a 16 MiB frame but one byte, then stalls.
  {
    const int peers = quick ? 8 : 30;
    const std::size_t total = 16 * 1024 * 1024 - 64;
    rss.reset();
    std::vector<std::unique_ptr<RawSecureClient>> stallers;
    for (int i = 0; i < peers; ++i) {
      stallers.push_back(std::make_unique<RawSecureClient>(uri));
      auto& s = *stallers.back();
      s.hello();
      try {
        s.write(sealed_partial_frame(s, total, host::kFrameHeaderBytes + 7 + total - 1));
      } catch (const std::exception&) {  // closed by the victim while writing: counted below
      }
    }
    Row row;
    row.attack = "partial 16 MiB frames (" + std::to_string(peers) + " peers, 1 byte short)";
    row.p50_us = honest.p50_us(kRounds);
    row.newcomers = newcomers_in(uri, kTries);
    row.tries = kTries;
    auto st = status_of(http);
    row.held = "partial " + mib(st["transport"]["memory"]["partial_in_bytes"].get<std::uint64_t>()) + ", closed " +
               std::to_string(st["transport"]["memory_closes"].get<std::uint64_t>()) + " for memory";
    row.peak_rss = rss.peak();
    rows.push_back(row);
  }

  phase("partial frames done");
  // 3. Silent peers: connect, say HELLO, then nothing, up to max_connections.
  {
    const int target = quick ? 200 : 1023;
    rss.reset();
    std::vector<std::unique_ptr<RawSecureClient>> silent;
    const auto deadline = Clock::now() + std::chrono::seconds(quick ? 10 : 30);
    while (static_cast<int>(silent.size()) < target && Clock::now() < deadline) {
      try {
        auto c = std::make_unique<RawSecureClient>(uri);
        if (!c->ch.established()) continue;  // refused (handshake rate): try again
        c->hello();
        silent.push_back(std::move(c));
        // The honest peer stays in use, as a real neighbour would (a quiet one may be evicted).
        if (silent.size() % 100 == 0 && honest.p50_us(1) < 0) throw std::runtime_error("honest peer lost");
      } catch (const std::exception&) {
      }
    }
    Row row;
    row.attack = "silent peers after HELLO (" + std::to_string(silent.size()) + " opened)";
    row.p50_us = honest.p50_us(kRounds);
    row.newcomers = newcomers_in(uri, kTries);
    row.tries = kTries;
    auto st = status_of(http);
    row.held = std::to_string(st["connections"]["open"].get<std::uint64_t>()) + " connections, evicted " +
               std::to_string(st["connections"]["evicted_for_newcomer"].get<std::uint64_t>());
    row.peak_rss = rss.peak();
    rows.push_back(row);
  }

  phase("silent peers done");
  // 4. A churn of fresh node ids saying HELLO with 8 endpoints each.
  {
    const int ids = quick ? 500 : 6000;
    rss.reset();
    std::atomic<bool> done{false};
    int made = 0;
    std::thread churn([&] {
      const auto deadline = Clock::now() + std::chrono::seconds(quick ? 10 : 60);
      while (made < ids && Clock::now() < deadline) {
        try {
          RawSecureClient c(uri);
          if (!c.ch.established()) continue;
          Hello h;
          h.id = c.identity->id();
          for (int e = 0; e < 8; ++e)
            h.endpoints.push_back("tcp://127." + std::to_string(1 + e) + "." + std::to_string(made / 250 % 250) + "." +
                                  std::to_string(1 + made % 250) +
                                  ":9");  // loopback, nothing listens: a dial fails at once
          host::Frame f;
          f.type = host::FrameType::kHello;
          f.payload = encode_hello(h);
          c.write(c.sealed(f));
          ++made;
        } catch (const std::exception&) {
        }
      }
      done = true;
    });
    const double p50 = honest.p50_us(kRounds);
    const int in = newcomers_in(uri, kTries);
    churn.join();
    Row row;
    row.attack = "HELLO churn (" + std::to_string(made) + " fresh node ids)";
    row.p50_us = p50;
    row.newcomers = in;
    row.tries = kTries;
    auto st = status_of(http);
    row.held = "address book " + std::to_string(st["transport"]["address_book"]["nodes"].get<std::uint64_t>()) +
               " ids, " + std::to_string(st["transport"]["address_book"]["uris"].get<std::uint64_t>()) + " URIs; " +
               std::to_string(st["connections"]["open"].get<std::uint64_t>()) + " connections open";
    row.peak_rss = rss.peak();
    rows.push_back(row);
  }

  phase("HELLO churn done");
  std::printf("honest echo p50 before: %.0f us; idle RSS %s\n\n", before, mib(idle_rss).c_str());
  std::printf("| attack | what the victim held | peak RSS (budget %s) | honest p50 during / before | newcomers in |\n",
              mib(kBudget).c_str());
  std::printf("|---|---|---|---|---|\n");
  bool ok = true;
  for (const auto& r : rows) {
    std::printf("| %s | %s | %s | %s | %d/%d |\n", r.attack.c_str(), r.held.c_str(), mib(r.peak_rss).c_str(),
                r.p50_us < 0 ? "failed" : (std::to_string(r.p50_us / before).substr(0, 5) + "x").c_str(), r.newcomers,
                r.tries);
    ok = ok && r.p50_us >= 0 && r.peak_rss <= kBudget && r.newcomers > 0;
  }
  std::printf("\nthe honest peer redialled %d times (its unprotected connection trimmed above the high watermark)\n",
              honest.redials);
  std::printf("\naims: peak RSS within the budget, honest p50 within 10x, newcomers get in: %s\n",
              ok ? "met" : "NOT met");
  return 0;
}
