// Hot swap: swap time (replace_plugin called -> new instance serving) and what the swap does to
// requests in flight. Two in-process nodes over loopback; node B keeps 4 requests in flight to
// tp-swap on node A without pause; A swaps between the v1 and v2 builds 20 times. Requests whose
// life overlapped a swap are compared with the baseline latency of the same run (a ratio).
//   butter-bench-hotswap [swaps]
#include "bench_stats.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

using namespace butter;
using butter::bench::Clock;
namespace fs = std::filesystem;

namespace {

struct Outcome {
  std::int32_t status;
  std::string body;
  Clock::time_point sent, answered;
};

struct Load {
  std::shared_ptr<host::NodeCore> core;
  std::string peer;
  std::atomic<bool> running{true};
  std::atomic<int> in_flight{0};
  std::mutex mutex;
  std::vector<Outcome> outcomes;
};

void issue(const std::shared_ptr<Load>& s) {
  if (!s->running) return;
  static const std::string payload = "ping";
  auto sent = Clock::now();
  ++s->in_flight;
  auto e = s->core->transport->request(
      s->peer, "/test/swap/1", std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()), 4),
      std::chrono::seconds(5), [s, sent](std::int32_t st, const host::NodeId&, std::span<const std::uint8_t> body) {
        {
          std::lock_guard<std::mutex> l(s->mutex);
          s->outcomes.push_back(Outcome{st, std::string(body.begin(), body.end()), sent, Clock::now()});
        }
        --s->in_flight;
        issue(s);
      });
  if (e) {
    --s->in_flight;
    std::lock_guard<std::mutex> l(s->mutex);
    s->outcomes.push_back(Outcome{e.code, e.message, sent, Clock::now()});
  }
}

std::unique_ptr<host::Node> make_node(host::Runtime& rt, host::PluginRegistry& reg, const std::string& text) {
  host::Diagnostics d;
  auto m = host::parse_manifest(text, "<bench>", d);
  if (!m) throw std::runtime_error(d.to_string());
  auto n = std::make_unique<host::Node>(rt.io(), *m, reg);
  if (!n->prepare(d)) throw std::runtime_error(d.to_string());
  if (auto e = n->start()) throw std::runtime_error(e.message);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const int swaps = argc > 1 ? std::atoi(argv[1]) : 20;
  spdlog::set_level(spdlog::level::warn);
  const std::string tp = BUTTER_TEST_PLUGIN_DIR;
  fs::path dir = fs::temp_directory_path() / ("butter-bench-hotswap-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(tp + "/tp-swap-v1.so", dir / "swap.so", fs::copy_options::overwrite_existing);

  std::vector<double> total, pause, hold;
  std::vector<std::pair<Clock::time_point, Clock::time_point>> windows;
  std::vector<Outcome> outcomes;
  std::size_t held = 0, not_unloaded = 0, failed_swaps = 0;
  {
    host::Runtime rt(2);
    host::PluginRegistry reg;
    auto a =
        make_node(rt, reg,
                  "[node]\nname = \"a\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"\"\n[plugins.swap]\nfile = \"" +
                      (dir / "swap.so").string() + "\"\n");
    auto b = make_node(rt, reg, "[node]\nname = \"b\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"\"\n");
    auto load = std::make_shared<Load>();
    load->core = b->core();
    load->peer = a->listen_endpoints().front();
    boost::asio::post(load->core->strand, [load] {
      for (int i = 0; i < 4; ++i) issue(load);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // baseline traffic (a benchmark, not a test)
    for (int i = 0; i < swaps; ++i) {
      host::SwapReport r;
      auto t0 = Clock::now();
      auto e = a->replace_plugin("swap", tp + (i % 2 ? "/tp-swap-v1.so" : "/tp-swap-v2.so"), &r);
      windows.emplace_back(t0, Clock::now());
      if (e) ++failed_swaps;
      total.push_back(r.total_us);
      pause.push_back(r.pause_us);
      hold.push_back(r.hold_us);
      held += r.held_frames;
      not_unloaded += !r.old_unloaded;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    load->running = false;
    while (load->in_flight > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::lock_guard<std::mutex> l(load->mutex);
    outcomes = load->outcomes;
    b->stop();
    a->stop();
  }
  fs::remove_all(dir);
  fs::remove_all(host::shadow_directory());

  std::vector<double> base, during;
  std::size_t lost = 0;
  for (const auto& o : outcomes) {
    if (o.status != 0) ++lost;
    double us = std::chrono::duration<double, std::micro>(o.answered - o.sent).count();
    bool overlaps = false;
    for (const auto& w : windows) overlaps = overlaps || (o.sent <= w.second && o.answered >= w.first);
    (overlaps ? during : base).push_back(us);
  }
  using butter::bench::percentile_us;
  std::printf("hot swap: %d swaps of tp-swap (v1 <-> v2), 4 requests in flight without pause, %zu requests\n", swaps,
              outcomes.size());
  std::printf("%-34s %10s %10s %10s\n", "", "p50", "p99", "max");
  auto row = [&](const char* what, const std::vector<double>& v) {
    std::printf("%-34s %8.0f us %8.0f us %8.0f us\n", what, percentile_us(v, 50), percentile_us(v, 99),
                percentile_us(v, 100));
  };
  row("swap time (call -> new serving)", total);
  row("  strand pause (stop..start)", pause);
  row("  protocols held", hold);
  row("request latency, baseline", base);
  row("request latency, during a swap", during);
  double b50 = percentile_us(base, 50);
  std::printf("delayed requests: %zu overlapped a swap; p50 %.1fx / max %.1fx the baseline p50; %zu held frames\n",
              during.size(), b50 > 0 ? percentile_us(during, 50) / b50 : 0,
              b50 > 0 ? percentile_us(during, 100) / b50 : 0, held);
  std::printf("requests lost: %zu   failed swaps: %zu   old library still resident: %zu\n", lost, failed_swaps,
              not_unloaded);
  return lost == 0 && failed_swaps == 0 ? 0 : 1;
}
