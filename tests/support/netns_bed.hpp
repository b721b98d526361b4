// NetnsBed: the multi-host test bed for tests/netns, built on construction by
// scripts/netns-bed.sh and always removed on destruction (processes first, then namespaces).
//
// Hosts 1..hosts are namespaces "<prefix>-h<i>" on one LAN, 198.18.0.(10+i)/24. With lan2_hosts,
// hosts 1..lan2_hosts of a second LAN are "<prefix>-p<i>", 198.19.0.(10+i)/24; with router, a NAT
// router "<prefix>-router" (198.18.0.1 / 198.19.0.1) lets the second LAN reach the first but not
// the reverse. With nat_lans = K (up to 4), private LANs 1..K each sit behind a NAT router of their
// own, "<prefix>-n<k>router" (outside 198.18.0.(1+k) on LAN 1, inside 198.19.k.1), which lets its
// hosts 1..nat_hosts, "<prefix>-n<k>h<j>" at 198.19.k.(10+j)/24, reach LAN 1 (as 198.18.0.(1+k))
// but no one reach them, and no private LAN reach another: an internet-shaped bed. See
// scripts/netns-bed.sh for the whole layout.
//
// Each bed has a prefix unique to the run ("bt<pid>x<n>"); before building, the constructor
// removes beds left behind by test processes that are no longer alive (killed with -9, say).
//
// Usage in a Catch2 test:
//   TEST_CASE("two hosts find each other") {
//     BUTTER_REQUIRE_NETNS();
//     butter::test::NetnsBed bed({.hosts = 2});
//     auto a = bed.spawn(1, {BUTTER_BUILD_DIR "/butter", ...}, "a.log");
//     ...
//   }
//
// Faults where the kernel has no sch_netem (faults_unavailable_reason() says whether they work):
// add_loss() (nftables: a random share of eth0's output dropped), add_delay() (butter-netfault,
// tests/tools/netfault, holding eth0's output via NFQUEUE for delay ± jitter), partition() / heal()
// (nftables drops between two sets of hosts), fault_counters(). Everything lives in the host
// namespaces and goes with the bed.
#pragma once
#include "support/process.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace butter::test {

class NetnsBed {
 public:
  struct Options {
    int hosts = 2;           // 1..200 on LAN 1
    int lan2_hosts = 0;      // 0..200 on LAN 2
    bool router = false;     // the NAT router between the LANs
    std::string netem = "";  // e.g. "delay 20ms loss 1%", applied to every host's interface
    std::chrono::milliseconds stop_grace = std::chrono::seconds(3);  // SIGTERM -> SIGKILL, in all
    int nat_lans = 0;   // 0..4 private LANs, each behind a NAT router of its own
    int nat_hosts = 1;  // 0..200 hosts on each of them
    // The NAT lab: empty (plain masquerade, unsolicited inbound answered with a reset), or one
    // kind per NAT LAN: "eim" (port-preserving endpoint-independent mapping), "random"
    // (masquerade random) or "fully-random"; each drops unsolicited inbound TCP as real NATs do.
    // A "+hairpin" suffix ("eim+hairpin") lets the LAN's hosts reach each other through the
    // router's outside address and mapped ports; without it they cannot. See scripts/netns-bed.sh.
    std::vector<std::string> nat_kinds = {};
  };

  // Why no bed can be built here (not root, no iproute2 or nftables, namespaces not permitted...),
  // or nothing when one can. Probes once (builds and removes a tiny bed) and caches the answer.
  static std::optional<std::string> unavailable_reason();

  // Why `tc netem` cannot be used here (the kernel lacks sch_netem...), or nothing. Cached.
  static std::optional<std::string> netem_unavailable_reason();

  // Builds the bed; throws std::runtime_error carrying the script's output when that fails (the
  // script has then removed what it made).
  explicit NetnsBed(Options options);
  NetnsBed() : NetnsBed(Options{}) {}
  // Stops every spawned process (SIGTERM, bounded wait, SIGKILL), then removes the bed (which
  // also kills anything else still running inside it). Never throws.
  ~NetnsBed();

  NetnsBed(const NetnsBed&) = delete;
  NetnsBed& operator=(const NetnsBed&) = delete;

  const std::string& prefix() const { return prefix_; }
  const Options& options() const { return options_; }

  std::string host_ns(int i) const;  // "<prefix>-h<i>",  1 <= i <= hosts
  std::string host_ip(int i) const;  // "198.18.0.<10+i>"
  std::string lan2_ns(int i) const;  // "<prefix>-p<i>",  1 <= i <= lan2_hosts
  std::string lan2_ip(int i) const;  // "198.19.0.<10+i>"
  std::string router_ns() const;     // "<prefix>-router" (REQUIRES: options.router)
  static std::string router_lan1_ip() { return "198.18.0.1"; }
  static std::string router_lan2_ip() { return "198.19.0.1"; }
  std::string nat_ns(int lan, int i) const;          // "<prefix>-n<lan>h<i>", 1 <= lan <= nat_lans, 1 <= i <= nat_hosts
  std::string nat_ip(int lan, int i) const;          // "198.19.<lan>.<10+i>"
  std::string nat_router_ns(int lan) const;          // "<prefix>-n<lan>router"
  std::string nat_router_outside_ip(int lan) const;  // "198.18.0.<1+lan>": what LAN 1 sees of its hosts
  std::string nat_router_inside_ip(int lan) const;   // "198.19.<lan>.1"

  // Starts `argv` inside namespace `ns` (`ip netns exec ns argv...`), stdout and stderr to
  // `log_path`. Returns its pid, which is that of the program itself (ip execs it). Throws
  // std::runtime_error when it cannot be started.
  pid_t spawn(const std::string& ns, std::vector<std::string> argv, std::string log_path,
              std::vector<std::string> extra_env = {});
  pid_t spawn(int host_index, std::vector<std::string> argv, std::string log_path,
              std::vector<std::string> extra_env = {});  // on host_ns(host_index)

  // The spawned process `pid` (nullptr when it is not one of ours), to wait on or read its log.
  Process* process(pid_t pid);

  // Sends `sig` to spawned process `pid` (and its process group); e.g. SIGKILL for churn.
  void kill(pid_t pid, int sig);

  // Runs `argv` inside `ns` and waits up to `timeout`. Returns its exit code (128 + signal when a
  // signal ended it), or -1 when it did not finish in time (it is then killed). When `output` is
  // given it receives stdout and stderr.
  int run(const std::string& ns, std::vector<std::string> argv,
          std::chrono::milliseconds timeout = std::chrono::seconds(30), std::string* output = nullptr);
  int run(int host_index, std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(30),
          std::string* output = nullptr);

  // Namespaces that currently exist with this bed's prefix (empty after the bed is torn down).
  static std::vector<std::string> namespaces_with_prefix(const std::string& prefix);

  // Removes the bed now (what the destructor does); idempotent.
  void tear_down();

  // --- Faults without netem ------------------------------------------------------------------
  // Hosts are given by namespace (host_ns(i) / lan2_ns(j) / nat_ns(k, j)) or by LAN 1 index.

  // Why the fault methods cannot work here (no bed, butter-netfault not built because
  // libnetfilter_queue was missing, no iptables or nftables rule support...), or nothing. Cached.
  static std::optional<std::string> faults_unavailable_reason();
  static std::string netfault_path();  // <build>/bin/butter-netfault

  // Drops `percent` (0..100, steps of 0.1) of what `ns` sends on eth0 (nftables numgen); 0 removes
  // the loss. Throws std::runtime_error when the rule cannot be set.
  void add_loss(const std::string& ns, double percent);
  void add_loss(int host_index, double percent) { add_loss(host_ns(host_index), percent); }

  // Holds every packet `ns` sends on eth0 for delay ± jitter (uniform; packets may be reordered, as
  // with netem), and drops `loss_percent` of them, by a butter-netfault process spawned in `ns`
  // (replacing one already there). Returns once its queue is bound and the rule is in place;
  // throws std::runtime_error otherwise.
  void add_delay(const std::string& ns, std::chrono::milliseconds delay, std::chrono::milliseconds jitter,
                 double loss_percent = 0);
  void add_delay(int host_index, std::chrono::milliseconds delay, std::chrono::milliseconds jitter,
                 double loss_percent = 0) {
    add_delay(host_ns(host_index), delay, jitter, loss_percent);
  }
  // Removes the rule, then stops the process (which lets every held packet go). No-op without one.
  void remove_delay(const std::string& ns);

  // Cuts LAN 1 hosts `a` from hosts `b` (indices), both ways, multicast included: each host drops
  // what it sends to and receives from the other side. Throws std::runtime_error on failure.
  void partition(const std::vector<int>& a, const std::vector<int>& b);
  // Removes every partition rule.
  void heal();
  // Removes every fault: delays, losses, partitions (the counters keep their totals).
  void clear_faults();

  struct FaultCounters {
    std::uint64_t loss_dropped = 0;       // by add_loss rules
    std::uint64_t partition_dropped = 0;  // by partition rules
    std::uint64_t delayed = 0;            // packets butter-netfault held
    std::uint64_t delay_dropped = 0;      // packets butter-netfault dropped (add_delay's loss)
    std::uint64_t delay_overflow = 0;     // passed at once because too many were held
    std::uint64_t delay_errors = 0;       // verdicts the kernel refused, read errors
    int partitions = 0;                   // partition() calls
    int delay_hosts = 0, loss_hosts = 0;  // hosts that ever had a delay / a loss
  };
  // Totals since the bed was built, over every host (a running butter-netfault's counts may lag by
  // up to 100 ms); throws std::runtime_error when the nftables counters cannot be read.
  FaultCounters fault_counters();

 private:
  struct Delay {
    pid_t pid = 0;
    std::string stats;
  };
  std::string fault_host(const std::string& ns) const;  // "h3" for "<prefix>-h3"
  void script(const std::vector<std::string>& args);    // runs netns-bed.sh, throws on failure

  Options options_;
  std::string prefix_;
  std::vector<std::unique_ptr<Process>> processes_;
  bool up_ = false;
  int run_counter_ = 0;
  std::map<std::string, Delay> delays_;   // by namespace
  FaultCounters stopped_delays_;          // final counts of butter-netfault runs that ended
  std::vector<std::string> stats_files_;  // stats and logs, removed at tear-down
  std::vector<std::string> loss_hosts_, delay_hosts_;
  int partitions_ = 0;
};

// The path of scripts/netns-bed.sh in the source tree.
std::string netns_bed_script();

// Whether CI=true is set in the environment.
bool running_under_ci();

// For tests that need a bed: returns true when netns is unavailable and the test must stop (it has
// WARNed the reason); under CI=true it FAILs the test instead (which throws). Use the macro.
bool skip_or_fail_without_netns();
// The same for NetnsBed::faults_unavailable_reason().
bool skip_or_fail_without_netns_faults();

}  // namespace butter::test

// At the top of a netns test: skips it (ctest reports Skipped) when no bed can be built here, or fails it
// when running under CI=true.
#define BUTTER_REQUIRE_NETNS()                                \
  do {                                                        \
    if (::butter::test::skip_or_fail_without_netns()) return; \
  } while (false)

// The same for tests that also need the fault methods (faults_unavailable_reason()).
#define BUTTER_REQUIRE_NETNS_FAULTS()                                \
  do {                                                               \
    if (::butter::test::skip_or_fail_without_netns_faults()) return; \
  } while (false)
