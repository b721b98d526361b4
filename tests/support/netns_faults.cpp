// NetnsBed's faults (netns_bed.hpp): packet loss and partitions as nftables rules, delay through
// butter-netfault (tests/tools/netfault/), and the counters that show they took effect.
#include "support/netns_bed.hpp"
#include "support/netns_script.hpp"
#include "support/process.hpp"
#include "support/skip.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace butter::test {

using namespace std::chrono_literals;

namespace {

// "key value" lines of a butter-netfault stats file.
std::map<std::string, std::uint64_t> read_stats(const std::string& path) {
  std::map<std::string, std::uint64_t> out;
  std::istringstream in(file_contents(path));
  std::string key;
  std::uint64_t value;
  while (in >> key >> value) out[key] = value;
  return out;
}

void add_stats(NetnsBed::FaultCounters& c, const std::map<std::string, std::uint64_t>& s) {
  auto get = [&](const char* k) {
    auto it = s.find(k);
    return it == s.end() ? 0 : it->second;
  };
  c.delayed += get("delayed");
  c.delay_dropped += get("dropped");
  c.delay_overflow += get("overflow");
  c.delay_errors += get("errors");
}

}  // namespace

std::string NetnsBed::netfault_path() { return std::string(BUTTER_BUILD_DIR) + "/bin/butter-netfault"; }

std::optional<std::string> NetnsBed::faults_unavailable_reason() {
  static const std::optional<std::string> reason = []() -> std::optional<std::string> {
    if (auto r = unavailable_reason()) return r;
    if (::access(netfault_path().c_str(), X_OK) != 0)
      return netfault_path() +
             " was not built: CMake did not find libnetfilter_queue (Debian: libnetfilter-queue-dev; "
             "scripts/install-deps.sh installs it), then reconfigure";
    std::string out;
    int rc;
    try {
      rc = run_script({"fault-probe"}, 60s, out);
    } catch (const std::exception& e) {
      return std::string("cannot run the bed script: ") + e.what();
    }
    if (rc != 0) return out.empty() ? "the fault probe failed (exit " + std::to_string(rc) + ")" : out;
    return std::nullopt;
  }();
  return reason;
}

std::string NetnsBed::fault_host(const std::string& ns) const {
  static const std::regex host(R"(^(h|p|n([0-9])h)([0-9]+)$)");
  const std::string head = prefix_ + "-";
  std::smatch m;
  const std::string rest = ns.rfind(head, 0) == 0 ? ns.substr(head.size()) : std::string();
  if (!std::regex_match(rest, m, host)) throw std::invalid_argument("NetnsBed: " + ns + " is not a host of this bed");
  const int i = std::stoi(m[3].str());
  const bool nat = m[2].matched;
  if (nat && (std::stoi(m[2].str()) < 1 || std::stoi(m[2].str()) > options_.nat_lans))
    throw std::invalid_argument("NetnsBed: " + ns + " is not a host of this bed");
  if (i < 1 || i > (nat ? options_.nat_hosts : m[1] == "h" ? options_.hosts : options_.lan2_hosts))
    throw std::invalid_argument("NetnsBed: " + ns + " is not a host of this bed");
  return rest;
}

void NetnsBed::script(const std::vector<std::string>& args) {
  if (!up_) throw std::logic_error("NetnsBed: fault on a bed that is down");
  std::string out;
  const int rc = run_script(args, 60s, out);
  if (rc != 0) {
    std::string cmd;
    for (const auto& a : args) cmd += " " + a;
    throw std::runtime_error("netns-bed.sh" + cmd + " failed (" +
                             (rc < 0 ? std::string("timed out") : "exit " + std::to_string(rc)) + "): " + out);
  }
}

void NetnsBed::add_loss(const std::string& ns, double percent) {
  if (!(percent >= 0 && percent <= 100)) throw std::invalid_argument("NetnsBed: loss percent must be 0..100");
  const std::string host = fault_host(ns);
  const long tenths = std::lround(percent * 10);
  script({"loss", "--prefix", prefix_, "--host", host, "--percent",
          std::to_string(tenths / 10) + "." + std::to_string(tenths % 10)});
  if (tenths > 0 && std::find(loss_hosts_.begin(), loss_hosts_.end(), ns) == loss_hosts_.end())
    loss_hosts_.push_back(ns);
}

void NetnsBed::add_delay(const std::string& ns, std::chrono::milliseconds delay, std::chrono::milliseconds jitter,
                         double loss_percent) {
  const std::string host = fault_host(ns);
  if (delay.count() < 0 || jitter.count() < 0) throw std::invalid_argument("NetnsBed: negative delay or jitter");
  if (!(loss_percent >= 0 && loss_percent <= 100)) throw std::invalid_argument("NetnsBed: loss percent must be 0..100");
  if (::access(netfault_path().c_str(), X_OK) != 0) throw std::runtime_error(*faults_unavailable_reason());
  remove_delay(ns);
  const std::string stats =
      temp_log(prefix_ + "-" + host + "-netfault-" + std::to_string(stats_files_.size())) + ".stats";
  stats_files_.push_back(stats);
  const unsigned seed =
      static_cast<unsigned>(std::hash<std::string>{}(ns + std::to_string(stats_files_.size())) & 0x7fffffff);
  char loss[32];
  std::snprintf(loss, sizeof loss, "%.3f", loss_percent);
  const pid_t pid = spawn(ns,
                          {netfault_path(), "--queue", "0", "--delay-ms", std::to_string(delay.count()), "--jitter-ms",
                           std::to_string(jitter.count()), "--loss-percent", loss, "--seed", std::to_string(seed),
                           "--stats", stats, "--stats-interval-ms", "100"},
                          temp_log(prefix_ + "-" + host + "-netfault"));
  stats_files_.push_back(process(pid)->log_path());
  delays_[ns] = Delay{pid, stats};
  // Bound once its stats say so; a process that exits first failed (its log says why).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  Process* p = process(pid);
  while (read_stats(stats)["running"] != 1) {
    if (!p->running() || std::chrono::steady_clock::now() > deadline) {
      p->stop(1s);
      const std::string log = p->log();
      delays_.erase(ns);
      throw std::runtime_error("butter-netfault in " + ns + " did not start: " + log);
    }
    std::this_thread::sleep_for(5ms);
  }
  script({"delay", "--prefix", prefix_, "--host", host, "--queue", "0"});
  if (std::find(delay_hosts_.begin(), delay_hosts_.end(), ns) == delay_hosts_.end()) delay_hosts_.push_back(ns);
}

void NetnsBed::remove_delay(const std::string& ns_ref) {
  const std::string ns = ns_ref;  // it may be a key of delays_, erased below
  auto it = delays_.find(ns);
  if (it == delays_.end()) return;
  const Delay d = it->second;
  delays_.erase(it);
  script({"undelay", "--prefix", prefix_, "--host", fault_host(ns), "--queue", "0"});
  if (Process* p = process(d.pid)) {
    p->kill(SIGTERM);
    p->wait_exit(5s);
    p->stop(1s);
  }
  add_stats(stopped_delays_, read_stats(d.stats));
}

void NetnsBed::partition(const std::vector<int>& a, const std::vector<int>& b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("NetnsBed: partition needs two non-empty sides");
  auto list = [&](const std::vector<int>& side) {
    std::string s;
    for (int i : side) s += (s.empty() ? "" : ",") + fault_host(host_ns(i));
    return s;
  };
  script({"partition", "--prefix", prefix_, "--a", list(a), "--b", list(b)});
  ++partitions_;
}

void NetnsBed::heal() { script({"heal", "--prefix", prefix_}); }

void NetnsBed::clear_faults() {
  while (!delays_.empty()) {
    const std::string ns = delays_.begin()->first;
    remove_delay(ns);
  }
  for (const auto& ns : loss_hosts_) add_loss(ns, 0);
  heal();
}

NetnsBed::FaultCounters NetnsBed::fault_counters() {
  if (!up_) throw std::logic_error("NetnsBed: fault_counters on a bed that is down");
  FaultCounters c = stopped_delays_;
  for (const auto& [ns, d] : delays_) add_stats(c, read_stats(d.stats));
  std::string out;
  const int rc = run_script({"counters", "--prefix", prefix_}, 60s, out);
  if (rc != 0) throw std::runtime_error("netns-bed.sh counters failed: " + out);
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string host, k1, k2;
    std::uint64_t v1 = 0, v2 = 0;
    if (!(words >> host >> k1 >> v1 >> k2 >> v2) || k1 != "loss_dropped" || k2 != "partition_dropped")
      throw std::runtime_error("netns-bed.sh counters: unexpected line: " + line);
    c.loss_dropped += v1;
    c.partition_dropped += v2;
  }
  c.partitions = partitions_;
  c.delay_hosts = static_cast<int>(delay_hosts_.size());
  c.loss_hosts = static_cast<int>(loss_hosts_.size());
  return c;
}

bool skip_or_fail_without_netns_faults() {
  auto reason = NetnsBed::faults_unavailable_reason();
  if (!reason) return false;
  if (running_under_ci()) FAIL("netns fault injection unavailable under CI: " << *reason);
  skip("netns fault injection unavailable: " + *reason);
  return true;
}

}  // namespace butter::test
