// Butter's side of the anchors' echo workload (../shared/anchors/README.md), so that `make bench`
// can put Butter next to raw Asio and js-libp2p measured in the same run.
//
// Same shape as the anchors: the client forks/execs itself with --serve; the server is a node in
// its own process (one runtime thread, like the anchors' one event loop) running the echo plugin,
// and prints its endpoint on stdout. The client is a node too (one thread) that sends
// /butter/echo/1 requests of S payload bytes over the one connection the transport keeps:
//   phase 1: 1000 warm-up round trips, then N sequential round trips, each timed;
//   phase 2: 8 concurrent workers, each doing sequential round trips for T seconds (the 8 share
//            one connection, as the libp2p anchor's 8 yamux streams share one).
// It prints one JSON line in the anchors' format; "impl" says encrypted or plaintext.
// usage: butter-echo-anchor [--size S] [--n N] [--seconds T] [--plaintext]   (server: --serve)
#include "bench_stats.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

using namespace butter;
using namespace butter::bench;

namespace {

constexpr int kConcurrency = 8;
constexpr std::size_t kMaxSize = 16u << 20;  // the anchors' kMaxFrame

host::Manifest manifest(const std::string& name, bool echo, bool plaintext) {
  std::string text =
      "[node]\nname = \"" + name + "\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"\"\nlog_level = \"warn\"\n";
  if (plaintext) text += "insecure_plaintext = true\n";
  if (echo) text += "[plugins.echo]\nplugin = \"butter.example.echo\"\n";
  host::Diagnostics d;
  auto m = host::parse_manifest(text, "<echo-anchor>", d);
  if (!m) throw std::runtime_error(d.to_string());
  m->node.plugin_path.push_back(BUTTER_PLUGIN_DIR);
  return *m;
}

// A node in its own process until SIGTERM: prints its endpoint, then serves the echo.
int serve(bool plaintext) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before the runtime's thread, which inherits it
  host::Runtime rt(1);
  host::PluginRegistry registry;
  host::Node node(rt.io(), manifest("echo-server", true, plaintext), registry);
  host::Diagnostics d;
  if (!node.prepare(d)) throw std::runtime_error(d.to_string());
  if (auto e = node.start()) throw std::runtime_error(e.message);
  std::printf("%s\n", node.listen_endpoints().front().c_str());
  std::fflush(stdout);
  // The client stops reading after the endpoint: later log lines must not meet a closed pipe.
  if (int null = open("/dev/null", O_WRONLY); null >= 0) dup2(null, STDOUT_FILENO);
  int sig = 0;
  sigwait(&set, &sig);
  node.stop();
  return 0;
}

pid_t spawn_server(bool plaintext, std::string& endpoint) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the client
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    if (plaintext)
      execl("/proc/self/exe", "butter-echo-anchor", "--serve", "--plaintext", static_cast<char*>(nullptr));
    else
      execl("/proc/self/exe", "butter-echo-anchor", "--serve", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  FILE* f = fdopen(fds[0], "r");
  // The node logs to stdout too: the endpoint is the first line that is one (bounded: the pipe
  // ends when the server exits, and a node logs a few lines before it listens).
  char line[512];
  for (int lines = 0; lines < 100 && std::fgets(line, sizeof line, f) != nullptr; ++lines) {
    std::string l = line;
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    if (l.rfind("tcp://", 0) == 0) {
      endpoint = l;
      break;
    }
  }
  std::fclose(f);
  if (endpoint.empty()) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    throw std::runtime_error("echo server did not report its endpoint");
  }
  return pid;
}

// Nearest-rank percentile, as the anchors compute it.
double nearest_rank(const std::vector<double>& sorted, double p) {
  long i = static_cast<long>(std::ceil(p * static_cast<double>(sorted.size()))) - 1;
  return sorted[static_cast<std::size_t>(std::max(0L, i))];
}

struct Client {
  host::Node& node;
  std::string peer;
  std::vector<std::uint8_t> payload;

  // One echo from the node's strand; `then` runs on the strand with whether it succeeded.
  template <class F>
  void round_trip(F then) {
    auto e = node.core()->transport->request(
        peer, "/butter/echo/1", payload, std::chrono::seconds(30),
        [this, then](std::int32_t st, const host::NodeId&, std::span<const std::uint8_t> answer) {
          then(st == BUTTER_OK && answer.size() == payload.size());
        });
    if (e) then(false);
  }
};

int client(std::size_t size, long n, double seconds, bool plaintext) {
  std::string endpoint;
  pid_t server = spawn_server(plaintext, endpoint);
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  } reap{server};

  host::Runtime rt(1);
  host::PluginRegistry registry;
  host::Node node(rt.io(), manifest("echo-client", false, plaintext), registry);
  host::Diagnostics d;
  if (!node.prepare(d)) throw std::runtime_error(d.to_string());
  if (auto e = node.start()) throw std::runtime_error(e.message);
  Client c{node, endpoint, std::vector<std::uint8_t>(size, 0xab)};

  // Phase 1: warm-up, then n sequential round trips, each timed from the end of the previous.
  const long warmup = std::min(1000L, n);
  std::vector<double> lat(static_cast<std::size_t>(n), 0.0);
  Clock::time_point t0, prev;
  std::promise<bool> seq_done;
  std::function<void(long)> step = [&](long i) {
    if (i == warmup) t0 = prev = Clock::now();
    if (i > warmup) {
      auto now = Clock::now();
      lat[static_cast<std::size_t>(i - warmup - 1)] = std::chrono::duration<double, std::micro>(now - prev).count();
      prev = now;
    }
    if (i == warmup + n) {
      seq_done.set_value(true);
      return;
    }
    c.round_trip([&, i](bool ok) {
      if (!ok)
        seq_done.set_value(false);
      else
        step(i + 1);
    });
  };
  node.on_strand([&] {
    step(0);
    return 0;
  });
  if (!seq_done.get_future().get()) throw std::runtime_error("an echo failed in phase 1");
  const double seq_secs = std::chrono::duration<double>(prev - t0).count();
  std::sort(lat.begin(), lat.end());

  // Phase 2: kConcurrency workers, each doing sequential round trips until the deadline.
  std::uint64_t total = 0;
  int running = kConcurrency;
  bool failed = false;
  std::promise<void> conc_done;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::function<void()> work = [&] {
    if (failed || Clock::now() >= deadline) {
      if (--running == 0) conc_done.set_value();
      return;
    }
    c.round_trip([&](bool ok) {
      if (ok)
        ++total;
      else
        failed = true;
      work();
    });
  };
  node.on_strand([&] {
    for (int i = 0; i < kConcurrency; ++i) work();
    return 0;
  });
  conc_done.get_future().get();
  const double conc_secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) throw std::runtime_error("an echo failed in phase 2");
  node.stop();

  std::printf(
      "{\"impl\":\"%s\",\"size\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f,\"rps_seq\":%.0f,"
      "\"rps_conc\":%.0f,\"mib_s_conc\":%.2f}\n",
      plaintext ? "butter-plaintext" : "butter-encrypted", size, nearest_rank(lat, 0.50), nearest_rank(lat, 0.99),
      static_cast<double>(n) / seq_secs, static_cast<double>(total) / conc_secs,
      static_cast<double>(total) * static_cast<double>(size) / conc_secs / (1 << 20));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t size = 64;
  long n = 20000;
  double seconds = 5;
  bool plaintext = false, server = false;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--serve")
        server = true;
      else if (a == "--plaintext")
        plaintext = true;
      else if (i + 1 < argc && a == "--size")
        size = std::stoul(argv[++i]);
      else if (i + 1 < argc && a == "--n")
        n = std::stol(argv[++i]);
      else if (i + 1 < argc && a == "--seconds")
        seconds = std::stod(argv[++i]);
      else
        throw std::invalid_argument("unknown argument " + a);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\nusage: %s [--size S] [--n N] [--seconds T] [--plaintext] | --serve [--plaintext]\n",
                 e.what(), argv[0]);
    return 2;
  }
  if (n < 1 || size > kMaxSize || !(seconds > 0)) {
    std::fprintf(stderr, "butter-echo-anchor: need N >= 1, S <= %zu, T > 0\n", kMaxSize);
    return 2;
  }
  try {
    return server ? serve(plaintext) : client(size, n, seconds, plaintext);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "butter-echo-anchor: %s\n", e.what());
    return 1;
  }
}
