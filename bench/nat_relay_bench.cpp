// nat-ambassador: the cost of reaching a node through an ambassador, in one process over
// loopback. Three nodes with the plugin: a and b public (listening), p private (not listening,
// so only reachable through a relay), and a sender s. Measured in the same run:
//   - time from p's start until it has an ambassador and a relay endpoint (plugin defaults);
//   - request/response round trip s -> ambassador (direct) vs s -> p through the ambassador
//     (ratio), 64 B, sequential;
//   - throughput with 64 KiB requests echoed back, 16 in flight, direct vs relayed (ratio), in
//     interleaved rounds (medians; BUTTER_BENCH_QUICK=1: one), with the process's CPU time per MB
//     for each (the steadier figure when the machine is loaded).
// Knobs for profiling: BUTTER_BENCH_RELAY_ONLY=1 runs 20 relayed rounds and no direct ones (the
// direct and ratio lines are left out; the direct per-node CPU reads 0); BUTTER_BENCH_NAT_CONFIG adds
// lines to every node's [plugins.nat.config].
// Both paths are Noise-secured; the relayed one runs a second, end-to-end session inside. Each
// node runs on a runtime (thread) of its own, as in a process of its own, so that each node's CPU
// time per byte can be read: the busiest node bounds throughput when nodes have a core each.
#include "bench_stats.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <thread>

using namespace butter;
using namespace butter::bench;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  char buf[128] = "?\n";
  if (f) {
    if (!std::fgets(buf, sizeof buf, f)) std::snprintf(buf, sizeof buf, "?\n");
    std::fclose(f);
  }
  return buf;
}

// The process's CPU time (user + system), all threads.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Each node runs on a runtime of its own (one thread), as if in a process of its own: its thread's
// CPU time is then that node's work, and the busiest node bounds what nodes with a core each
// would reach.
std::vector<std::unique_ptr<host::Runtime>> runtimes;  // outlive the nodes (declared first)

std::unique_ptr<host::Node> make_node(host::PluginRegistry& reg, const std::string& name, bool listen) {
  host::Runtime& rt = *runtimes.emplace_back(std::make_unique<host::Runtime>(1));
  std::string text = "[node]\nname = \"" + name + "\"\nlisten = [" + (listen ? "\"tcp://127.0.0.1:0\"" : "") +
                     "]\nhttp = \"\"\nlog_level = \"error\"\n[plugins.nat]\nplugin = \"butter.nat.ambassador\"\n";
  // BUTTER_BENCH_NAT_CONFIG: lines for [plugins.nat.config], to try a setting (relay_window_bytes, ...).
  if (const char* extra = std::getenv("BUTTER_BENCH_NAT_CONFIG"))
    text += std::string("[plugins.nat.config]\n") + extra + "\n";
  host::Diagnostics d;
  auto m = host::parse_manifest(text, "<bench>", d);
  if (!m) throw std::runtime_error(d.to_string());
  m->node.plugin_path.push_back(BUTTER_PLUGIN_DIR);
  auto n = std::make_unique<host::Node>(rt.io(), *m, reg);
  if (!n->prepare(d)) throw std::runtime_error(d.to_string());
  if (auto e = n->start()) throw std::runtime_error(e.message);
  return n;
}

// CPU time of the node's thread (its runtime has one), read on its strand.
double node_cpu_seconds(host::Node& n) {
  return n.on_strand([] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  });
}

std::uint64_t counter(host::Node& n, const char* name) {
  return n.on_strand([&] { return n.core()->metrics.counter("nat", name); });
}

void connect(host::Node& from, const std::string& uri) {
  auto p = std::make_shared<std::promise<int>>();
  auto f = p->get_future();
  from.on_strand([&] {
    from.core()->transport->connect(uri, [p](host::Error e, const host::NodeId&) { p->set_value(e.code); });
    return 0;
  });
  if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready || f.get() != BUTTER_OK)
    throw std::runtime_error("connect to " + uri + " failed");
}

// `count` pings of `size` bytes from `s` to `peer`, `window` in flight; returns per-request
// round trips (us) and fills `seconds` with the wall time of the whole run.
std::vector<double> pings(host::Node& s, const std::string& peer, int count, std::size_t size, int window,
                          double& seconds) {
  struct State {
    std::vector<double> rtts;
    int sent = 0, done = 0, failed = 0;
    std::promise<void> finished;
    std::function<void()> next;
  };
  auto st = std::make_shared<State>();
  std::vector<std::uint8_t> payload(size + 1, 'x');
  payload[0] = 3;  // /butter/nat/1 Ping
  auto fut = st->finished.get_future();
  auto t0 = Clock::now();
  s.on_strand([&] {
    auto* t = s.core()->transport.get();
    st->next = [st, t, peer, payload, count] {
      if (st->sent >= count) return;
      ++st->sent;
      auto at = Clock::now();
      auto e = t->request(peer, "/butter/nat/1", payload, std::chrono::seconds(10),
                          [st, at, count](std::int32_t status, const host::NodeId&, std::span<const std::uint8_t>) {
                            st->rtts.push_back(us_since(at));
                            if (status != BUTTER_OK) ++st->failed;
                            if (++st->done == count) return st->finished.set_value();
                            st->next();
                          });
      if (e) {
        ++st->failed;
        if (++st->done == count) return st->finished.set_value();
      }
    };
    for (int i = 0; i < window; ++i) st->next();
    return 0;
  });
  if (fut.wait_for(std::chrono::seconds(120)) != std::future_status::ready) throw std::runtime_error("pings timed out");
  seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  s.on_strand([&] {
    st->next = nullptr;  // break the cycle
    return 0;
  });
  if (st->failed) throw std::runtime_error(std::to_string(st->failed) + " pings failed to " + peer);
  return st->rtts;
}

}  // namespace

int main() {
  spdlog::set_level(spdlog::level::err);
  const char* q = std::getenv("BUTTER_BENCH_QUICK");
  const bool quick = q && std::string(q) == "1";
  try {
    host::PluginRegistry reg;
    auto a = make_node(reg, "a", true);
    auto b = make_node(reg, "b", true);
    connect(*a, b->listen_endpoints().at(0));
    auto t0 = Clock::now();
    auto p = make_node(reg, "p", false);
    connect(*p, a->listen_endpoints().at(0));
    connect(*p, b->listen_endpoints().at(0));
    double reach_ms = -1;
    while (Clock::now() - t0 < std::chrono::seconds(30)) {
      if (counter(*p, "nat_ambassadors_acquired_total") >= 1) {
        reach_ms = us_since(t0) / 1000.0;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (reach_ms < 0) throw std::runtime_error("the private node found no ambassador in 30 s");
    // A second private node joining once the public nodes know they are public.
    auto t1 = Clock::now();
    auto p2 = make_node(reg, "p2", false);
    connect(*p2, a->listen_endpoints().at(0));
    connect(*p2, b->listen_endpoints().at(0));
    double warm_ms = -1;
    while (Clock::now() - t1 < std::chrono::seconds(30)) {
      if (counter(*p2, "nat_ambassadors_acquired_total") >= 1) {
        warm_ms = us_since(t1) / 1000.0;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    p2->stop();
    host::Node& amb = counter(*a, "nat_clients_accepted_total") >= 1 ? *a : *b;
    const std::string relay =
        "relay://" + amb.id_hex() + "@" + amb.listen_endpoints().at(0).substr(6) + "/" + p->id_hex();
    auto s = make_node(reg, "s", true);
    const std::string direct = amb.listen_endpoints().at(0);

    double secs = 0;
    pings(*s, direct, 50, 64, 1, secs);  // warm up: connect, handshake
    pings(*s, relay, 50, 64, 1, secs);
    const int n = 2000;
    auto d = pings(*s, direct, n, 64, 1, secs);
    auto r = pings(*s, relay, n, 64, 1, secs);
    // Throughput, direct and relayed interleaved over `rounds` rounds (the machine is shared:
    // interleaving spreads its load over both), medians. The process's CPU time per MB is the
    // steadier figure on a loaded machine: wall time there is mostly waiting for a core.
    const bool relay_only = std::getenv("BUTTER_BENCH_RELAY_ONLY") != nullptr;
    const int big = 512, rounds = quick ? 1 : relay_only ? 20 : 15;
    const std::size_t size = 64 * 1024;
    const double mb = static_cast<double>(big) * static_cast<double>(size) / 1e6;
    std::vector<double> dmbs, rmbs, ratios, dcpus, rcpus, cpu_ratios, busiest_ratios;
    std::vector<std::array<double, 3>> dnode, rnode;  // CPU ms per MB of sender, ambassador, private
    std::uint64_t relayed_frames_in = 0;              // at the ambassador, over the relayed rounds
    auto nodes_cpu = [&] {
      return std::array<double, 3>{node_cpu_seconds(*s), node_cpu_seconds(amb), node_cpu_seconds(*p)};
    };
    auto per_mb = [&](const std::array<double, 3>& from, const std::array<double, 3>& to) {
      return std::array<double, 3>{(to[0] - from[0]) * 1e3 / mb, (to[1] - from[1]) * 1e3 / mb,
                                   (to[2] - from[2]) * 1e3 / mb};
    };
    for (int round = 0; round < rounds; ++round) {
      double dsecs = 0, rsecs = 0;
      const double c0 = cpu_seconds();
      const auto n0 = nodes_cpu();
      if (relay_only)
        dsecs = 1;  // not measured
      else
        pings(*s, direct, big, size, 16, dsecs);
      const double c1 = cpu_seconds();
      const auto n1 = nodes_cpu();
      const auto frames0 = amb.on_strand([&] { return amb.core()->transport->stats().frames_in; });
      pings(*s, relay, big, size, 16, rsecs);
      relayed_frames_in += amb.on_strand([&] { return amb.core()->transport->stats().frames_in; }) - frames0;
      const double c2 = cpu_seconds();
      const auto n2 = nodes_cpu();
      dmbs.push_back(mb / dsecs);
      rmbs.push_back(mb / rsecs);
      ratios.push_back(dsecs / rsecs);
      dcpus.push_back((c1 - c0) * 1e3 / mb);
      rcpus.push_back((c2 - c1) * 1e3 / mb);
      cpu_ratios.push_back((c2 - c1) / (c1 - c0));
      dnode.push_back(per_mb(n0, n1));
      rnode.push_back(per_mb(n1, n2));
      const double dbusy = std::max(dnode.back()[0], dnode.back()[1]);
      const double rbusy = std::max({rnode.back()[0], rnode.back()[1], rnode.back()[2]});
      busiest_ratios.push_back(dbusy / rbusy);
    }
    const double dmb = median(dmbs), rmb = median(rmbs);

    std::printf("nat-ambassador relay, one process over loopback (plugin defaults; check_fast_ms = 1000)\n");
    std::printf("time until a private node is reachable (has a relay endpoint):\n");
    std::printf("  all nodes starting together (public verdicts first, after check_fast_ms): %8.1f ms\n", reach_ms);
    std::printf("  joining a network whose public nodes have decided:                       %8.1f ms\n", warm_ms);
    std::printf("\n%-34s %10s %10s\n", "round trip, 64 B, sequential", "p50 (us)", "p99 (us)");
    std::printf("%-34s %10.1f %10.1f\n", "direct (sender -> ambassador)", percentile_us(d, 50), percentile_us(d, 99));
    std::printf("%-34s %10.1f %10.1f   ratio p50 %.2fx\n", "relayed (sender -> amb -> private)", percentile_us(r, 50),
                percentile_us(r, 99), percentile_us(r, 50) / percentile_us(d, 50));
    std::printf("\nthroughput, 64 KiB echoed, 16 in flight; medians of %d interleaved rounds\n", rounds);
    std::printf("%-34s %14s %16s\n", "", "MB/s (one way)", "CPU ms per MB");
    if (!relay_only) std::printf("%-34s %14.1f %16.2f\n", "direct", dmb, median(dcpus));
    std::printf("%-34s %14.1f %16.2f\n", "relayed", rmb, median(rcpus));
    if (!relay_only)
      std::printf("relayed / direct: throughput %.2fx (aim >= 0.5x), CPU per byte %.2fx\n", median(ratios),
                  median(cpu_ratios));
    auto column = [](const std::vector<std::array<double, 3>>& v, int i) {
      std::vector<double> c;
      for (const auto& x : v) c.push_back(x[static_cast<std::size_t>(i)]);
      return median(c);
    };
    std::printf(
        "CPU ms per MB on each node's thread:  sender %.2f / %.2f, ambassador %.2f / %.2f, private - / %.2f"
        " (direct / relayed)\n",
        column(dnode, 0), column(rnode, 0), column(dnode, 1), column(rnode, 1), column(rnode, 2));
    if (!relay_only)
      std::printf("with a core per node, the busiest node bounds throughput: relayed / direct at most %.2fx\n",
                  median(busiest_ratios));
    std::printf(
        "(a relayed round trip crosses 4 TCP hops where a direct one crosses 2; its bytes are sealed and opened\n"
        " once end to end, as direct, and cross each hop as clear tails (butter.net.sealed/1): the ambassador\n"
        " copies them, it does not decrypt and encrypt them again.)\n");
    std::printf("load average: %s", load_average().c_str());
    const double relayed_mb = static_cast<double>(counter(amb, "nat_relayed_bytes_total")) / 1e6;
    const double clear_mb =
        static_cast<double>(amb.on_strand([&] { return amb.core()->transport->stats().clear_tail_bytes_out; })) / 1e6;
    std::printf("(the ambassador forwarded %.1f MB of ciphertext, %.1f MB of it as clear tails)\n", relayed_mb,
                clear_mb);
    std::printf("relayed writes held: far end's window used up %llu (sender) / %llu (private), hop full %llu / %llu\n",
                static_cast<unsigned long long>(counter(*s, "nat_relay_window_waits_total")),
                static_cast<unsigned long long>(counter(*p, "nat_relay_window_waits_total")),
                static_cast<unsigned long long>(counter(*s, "nat_relay_hop_waits_total")),
                static_cast<unsigned long long>(counter(*p, "nat_relay_hop_waits_total")));
    std::printf("frames the ambassador received per relayed 64 KiB request (request and its echo): %.2f\n",
                static_cast<double>(relayed_frames_in) / (static_cast<double>(big) * rounds));
    s->stop();
    p->stop();
    b->stop();
    a->stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "benchmark failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
