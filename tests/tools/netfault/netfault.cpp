// butter-netfault: a small stand-in for `tc netem` delay and loss, for kernels without sch_netem.
// It binds an NFQUEUE (iptables ... -j NFQUEUE --queue-num N --queue-bypass, in the same network
// namespace), holds every queued packet for delay ± jitter (uniform), drops a share of them when
// asked, and gives the verdicts in release order. See README.md next to this file.
//
//   butter-netfault --queue N [--delay-ms D] [--jitter-ms J] [--loss-percent P] [--seed S]
//                   [--max-held M] [--stats FILE] [--stats-interval-ms I]
//
// The stats file ("key value" lines: ready, delayed, dropped, overflow, held, held_max, errors) is
// written atomically once the queue is bound (running 1), every I ms, and at exit. SIGTERM or SIGINT:
// every held packet is accepted at once, the stats are written, exit 0.
//
// The kernel never stalls because of this program: the queue is fail-open (a full queue accepts),
// the rule's --queue-bypass accepts when nothing is bound, and beyond M held packets a packet is
// accepted at once (counted as overflow), which also bounds this program's memory.
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <queue>
#include <random>
#include <string>
#include <vector>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_NO_ENOBUFS
#define NETLINK_NO_ENOBUFS 5
#endif

namespace {

struct Options {
  int queue = 0;
  long delay_ms = 0;
  long jitter_ms = 0;
  double loss_percent = 0;
  unsigned seed = 1;
  std::size_t max_held = 20000;
  std::string stats;
  long stats_interval_ms = 500;
};

struct Held {
  std::int64_t release_ns;
  std::uint64_t seq;  // ties keep arrival order
  std::uint32_t id;
  bool operator>(const Held& o) const { return release_ns != o.release_ns ? release_ns > o.release_ns : seq > o.seq; }
};

struct State {
  Options opt;
  std::mt19937_64 rng;
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> held;
  std::uint64_t seq = 0;
  std::uint64_t delayed = 0, dropped = 0, overflow = 0, held_max = 0, errors = 0;
  nfq_q_handle* qh = nullptr;
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void write_stats(const State& s, bool running) {
  if (s.opt.stats.empty()) return;
  const std::string tmp = s.opt.stats + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) return;
    f << "running " << (running ? 1 : 0) << "\ndelayed " << s.delayed << "\ndropped " << s.dropped << "\noverflow "
      << s.overflow << "\nheld " << s.held.size() << "\nheld_max " << s.held_max << "\nerrors " << s.errors << "\n";
  }
  std::rename(tmp.c_str(), s.opt.stats.c_str());
}

void verdict(State& s, std::uint32_t id, std::uint32_t v) {
  if (nfq_set_verdict(s.qh, id, v, 0, nullptr) < 0) ++s.errors;
}

int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* nfa, void* data) {
  auto& s = *static_cast<State*>(data);
  const nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) {
    ++s.errors;
    return 0;
  }
  const std::uint32_t id = be32toh(ph->packet_id);
  if (s.opt.loss_percent > 0 && std::uniform_real_distribution<double>(0, 100)(s.rng) < s.opt.loss_percent) {
    ++s.dropped;
    verdict(s, id, NF_DROP);
    return 0;
  }
  if (s.opt.delay_ms <= 0 && s.opt.jitter_ms <= 0) {
    verdict(s, id, NF_ACCEPT);
    return 0;
  }
  if (s.held.size() >= s.opt.max_held) {
    ++s.overflow;
    verdict(s, id, NF_ACCEPT);
    return 0;
  }
  long ms = s.opt.delay_ms;
  if (s.opt.jitter_ms > 0) ms += std::uniform_int_distribution<long>(-s.opt.jitter_ms, s.opt.jitter_ms)(s.rng);
  ms = std::max(ms, 0L);
  s.held.push(Held{now_ns() + ms * 1000000, s.seq++, id});
  s.held_max = std::max<std::uint64_t>(s.held_max, s.held.size());
  ++s.delayed;
  return 0;
}

// Accepts every held packet whose release time has come (all of them when `all`).
void release(State& s, bool all) {
  const std::int64_t now = now_ns();
  while (!s.held.empty() && (all || s.held.top().release_ns <= now)) {
    verdict(s, s.held.top().id, NF_ACCEPT);
    s.held.pop();
  }
}

bool parse_long(const char* text, long lo, long hi, long& out) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) return false;
  out = v;
  return true;
}

int usage(const char* why) {
  std::fprintf(stderr,
               "butter-netfault: %s\nusage: butter-netfault --queue N [--delay-ms D] [--jitter-ms J] "
               "[--loss-percent P] [--seed S] [--max-held M] [--stats FILE] [--stats-interval-ms I]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  State s;
  Options& o = s.opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing value after " + a).c_str());
    const char* v = argv[++i];
    long n = 0;
    if (a == "--queue" && parse_long(v, 0, 65535, n))
      o.queue = static_cast<int>(n);
    else if (a == "--delay-ms" && parse_long(v, 0, 60000, n))
      o.delay_ms = n;
    else if (a == "--jitter-ms" && parse_long(v, 0, 60000, n))
      o.jitter_ms = n;
    else if (a == "--seed" && parse_long(v, 0, 0x7fffffff, n))
      o.seed = static_cast<unsigned>(n);
    else if (a == "--max-held" && parse_long(v, 1, 1000000, n))
      o.max_held = static_cast<std::size_t>(n);
    else if (a == "--stats-interval-ms" && parse_long(v, 10, 600000, n))
      o.stats_interval_ms = n;
    else if (a == "--stats")
      o.stats = v;
    else if (a == "--loss-percent") {
      char* end = nullptr;
      o.loss_percent = std::strtod(v, &end);
      if (end == v || *end != '\0' || !(o.loss_percent >= 0 && o.loss_percent <= 100))
        return usage("bad --loss-percent");
    } else {
      return usage(("bad option or value: " + a + " " + v).c_str());
    }
  }
  s.rng.seed(o.seed);

  // SIGTERM and SIGINT are blocked except while waiting in ppoll, so none is missed.
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  sigset_t block, wait_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  ::sigprocmask(SIG_BLOCK, &block, &wait_mask);
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGINT);

  nfq_handle* h = nfq_open();
  if (!h) {
    std::perror("butter-netfault: nfq_open");
    return 1;
  }
  s.qh = nfq_create_queue(h, static_cast<std::uint16_t>(o.queue), on_packet, &s);
  if (!s.qh) {
    std::perror("butter-netfault: nfq_create_queue (is another program bound to this queue?)");
    nfq_close(h);
    return 1;
  }
  if (nfq_set_mode(s.qh, NFQNL_COPY_META, 0) < 0) {
    std::perror("butter-netfault: nfq_set_mode");
    nfq_destroy_queue(s.qh);
    nfq_close(h);
    return 1;
  }
  // A long kernel queue, fail-open beyond it, a big socket buffer, and no ENOBUFS errors: when
  // messages are lost anyway the kernel accepts those packets (fail-open).
  nfq_set_queue_maxlen(s.qh, static_cast<std::uint32_t>(std::max<std::size_t>(o.max_held * 2, 4096)));
  nfq_set_queue_flags(s.qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  nfnl_rcvbufsiz(nfq_nfnlh(h), 8u << 20);
  const int fd = nfq_fd(h);
  int one = 1;
  ::setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);

  std::printf("butter-netfault: queue %d bound: delay %ld ms ± %ld ms, loss %.2f%%, seed %u, max held %zu\n", o.queue,
              o.delay_ms, o.jitter_ms, o.loss_percent, o.seed, o.max_held);
  std::fflush(stdout);
  write_stats(s, true);

  std::vector<char> buf(1 << 16);
  std::int64_t next_stats = now_ns() + o.stats_interval_ms * 1000000;
  while (!g_stop) {
    const std::int64_t now = now_ns();
    std::int64_t wake = next_stats;
    if (!s.held.empty()) wake = std::min(wake, s.held.top().release_ns);
    const std::int64_t wait_ns = std::max<std::int64_t>(wake - now, 0);
    timespec ts{static_cast<time_t>(wait_ns / 1000000000), static_cast<long>(wait_ns % 1000000000)};
    pollfd p{fd, POLLIN, 0};
    const int rc = ::ppoll(&p, 1, &ts, &wait_mask);
    if (rc < 0 && errno != EINTR) {
      std::perror("butter-netfault: ppoll");
      ++s.errors;
      break;
    }
    if (rc > 0) {
      // Drain what is there now; bounded so that releases are not starved.
      for (int k = 0; k < 256; ++k) {
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ENOBUFS) ++s.errors;
          break;
        }
        nfq_handle_packet(h, buf.data(), static_cast<int>(n));
      }
    }
    release(s, false);
    if (now_ns() >= next_stats) {
      write_stats(s, true);
      next_stats = now_ns() + o.stats_interval_ms * 1000000;
    }
  }
  release(s, true);
  nfq_destroy_queue(s.qh);
  nfq_close(h);
  write_stats(s, false);
  std::printf("butter-netfault: stopped: delayed %llu, dropped %llu, overflow %llu, held max %llu, errors %llu\n",
              static_cast<unsigned long long>(s.delayed), static_cast<unsigned long long>(s.dropped),
              static_cast<unsigned long long>(s.overflow), static_cast<unsigned long long>(s.held_max),
              static_cast<unsigned long long>(s.errors));
  return 0;
}
