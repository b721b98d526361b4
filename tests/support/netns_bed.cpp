// NetnsBed: drives scripts/netns-bed.sh and keeps track of what the test started in the bed.
#include "support/netns_bed.hpp"

#include "support/netns_script.hpp"
#include "support/skip.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace butter::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// Whether `pid` is a live process (a zombie, killed but not reaped yet, counts as dead).
bool pid_alive(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  const std::string stat = file_contents("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

// Removes beds named "bt<pid>x<n>" whose test process <pid> is gone (killed before it could clean
// up). Beds of live processes, including this one, are left alone.
void reap_stale_beds() {
  static const std::regex bed_ns(
      R"(^(bt([0-9]+)x[0-9]+)-(lan|lan2|router|h[0-9]+|p[0-9]+|n[0-9]+(lan|router|h[0-9]+))$)");
  std::set<std::string> stale;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/var/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, bed_ns)) continue;
    const long pid = std::strtol(m[2].str().c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid() || pid_alive(static_cast<pid_t>(pid))) continue;
    stale.insert(m[1].str());
  }
  for (const auto& prefix : stale) {
    std::string out;
    run_script({"down", "--prefix", prefix}, 60s, out);
  }
}

}  // namespace

std::string temp_log(const std::string& what) {
  static std::atomic<int> counter{0};
  std::error_code ec;
  fs::path dir = fs::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  return (dir / ("butter-netns-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + what + ".log"))
      .string();
}

int run_script(const std::vector<std::string>& args, std::chrono::milliseconds timeout, std::string& output) {
  std::vector<std::string> argv{"bash", netns_bed_script()};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = temp_log(args.empty() ? "script" : args.front());
  int rc;
  {
    Process p(argv, log);
    rc = p.wait_exit(timeout);
    if (rc < 0) p.stop(1s);
  }
  output = trim(file_contents(log));
  std::error_code ec;
  fs::remove(log, ec);
  return rc;
}

std::string netns_bed_script() { return std::string(BUTTER_SOURCE_DIR) + "/scripts/netns-bed.sh"; }

bool running_under_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::optional<std::string> NetnsBed::unavailable_reason() {
  static const std::optional<std::string> reason = []() -> std::optional<std::string> {
    if (::geteuid() != 0) return "not running as root (network namespaces need root)";
    if (!fs::exists(netns_bed_script())) return "the bed script " + netns_bed_script() + " is missing";
    std::string out;
    int rc;
    try {
      rc = run_script({"probe"}, 60s, out);
    } catch (const std::exception& e) {
      return std::string("cannot run the bed script: ") + e.what();
    }
    if (rc != 0) return out.empty() ? "the bed probe failed (exit " + std::to_string(rc) + ")" : out;
    return std::nullopt;
  }();
  return reason;
}

std::optional<std::string> NetnsBed::netem_unavailable_reason() {
  static const std::optional<std::string> reason = []() -> std::optional<std::string> {
    if (auto r = unavailable_reason()) return r;
    const std::string prefix = "bt" + std::to_string(::getpid()) + "x9999";
    std::string out;
    int rc = run_script({"up", "--prefix", prefix, "--hosts", "1", "--netem", "delay 1ms"}, 60s, out);
    std::string ignored;
    run_script({"down", "--prefix", prefix}, 60s, ignored);
    if (rc != 0) return out;
    return std::nullopt;
  }();
  return reason;
}

NetnsBed::NetnsBed(Options options) : options_(std::move(options)) {
  static std::atomic<int> counter{0};
  prefix_ = "bt" + std::to_string(::getpid()) + "x" + std::to_string(counter++);
  if (options_.hosts < 1 || options_.hosts > 200) throw std::invalid_argument("NetnsBed: hosts must be 1..200");
  if (options_.lan2_hosts < 0 || options_.lan2_hosts > 200)
    throw std::invalid_argument("NetnsBed: lan2_hosts must be 0..200");
  if (options_.nat_lans < 0 || options_.nat_lans > 4) throw std::invalid_argument("NetnsBed: nat_lans must be 0..4");
  if (options_.nat_hosts < 0 || options_.nat_hosts > 200)
    throw std::invalid_argument("NetnsBed: nat_hosts must be 0..200");

  reap_stale_beds();

  std::vector<std::string> args{"up", "--prefix", prefix_, "--hosts", std::to_string(options_.hosts)};
  if (options_.lan2_hosts > 0) {
    args.push_back("--lan2-hosts");
    args.push_back(std::to_string(options_.lan2_hosts));
  }
  if (options_.router) args.push_back("--router");
  if (options_.nat_lans > 0) {
    args.insert(args.end(),
                {"--nat-lans", std::to_string(options_.nat_lans), "--nat-hosts", std::to_string(options_.nat_hosts)});
  }
  if (!options_.nat_kinds.empty()) {
    if (static_cast<int>(options_.nat_kinds.size()) != options_.nat_lans)
      throw std::invalid_argument("NetnsBed: nat_kinds needs one kind per NAT LAN");
    std::string kinds;
    for (const auto& k : options_.nat_kinds) {
      const std::string base = k.size() > 8 && k.ends_with("+hairpin") ? k.substr(0, k.size() - 8) : k;
      if (base != "eim" && base != "random" && base != "fully-random")
        throw std::invalid_argument("NetnsBed: unknown NAT kind '" + k +
                                    "' (eim, random or fully-random, each optionally +hairpin)");
      kinds += (kinds.empty() ? "" : ",") + k;
    }
    args.insert(args.end(), {"--nat-kinds", kinds});
  }
  if (!options_.netem.empty()) {
    args.push_back("--netem");
    args.push_back(options_.netem);
  }
  std::string out;
  int rc = run_script(args, 120s, out);
  if (rc != 0) {
    std::string ignored;
    run_script({"down", "--prefix", prefix_}, 60s, ignored);  // the script does this too; be sure
    throw std::runtime_error("netns-bed.sh up failed (" +
                             (rc < 0 ? std::string("timed out") : "exit " + std::to_string(rc)) + "): " + out);
  }
  up_ = true;
}

NetnsBed::~NetnsBed() {
  try {
    tear_down();
  } catch (const std::exception& e) {
    std::cerr << "NetnsBed " << prefix_ << ": tear-down failed: " << e.what() << "\n";
  }
}

void NetnsBed::tear_down() {
  // Every spawned process gets SIGTERM at once, then they share one grace period.
  for (auto& p : processes_) p->kill(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + options_.stop_grace;
  for (auto& p : processes_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    p->stop(std::max(left, 0ms));
  }
  processes_.clear();
  delays_.clear();
  for (const auto& f : stats_files_) {
    std::error_code ec;
    fs::remove(f, ec);
    fs::remove(f + ".tmp", ec);
  }
  stats_files_.clear();
  if (!up_) return;
  up_ = false;
  std::string out;
  int rc = run_script({"down", "--prefix", prefix_}, 60s, out);
  auto left = namespaces_with_prefix(prefix_);
  if (rc != 0 || !left.empty()) {
    std::cerr << "NetnsBed " << prefix_ << ": down exited " << rc << ": " << out << "\n";
    for (const auto& ns : left) std::cerr << "  still there: " << ns << "\n";
  }
}

std::string NetnsBed::host_ns(int i) const {
  if (i < 1 || i > options_.hosts) throw std::out_of_range("NetnsBed: no host " + std::to_string(i));
  return prefix_ + "-h" + std::to_string(i);
}
std::string NetnsBed::host_ip(int i) const {
  if (i < 1 || i > options_.hosts) throw std::out_of_range("NetnsBed: no host " + std::to_string(i));
  return "198.18.0." + std::to_string(10 + i);
}
std::string NetnsBed::lan2_ns(int i) const {
  if (i < 1 || i > options_.lan2_hosts) throw std::out_of_range("NetnsBed: no lan2 host " + std::to_string(i));
  return prefix_ + "-p" + std::to_string(i);
}
std::string NetnsBed::lan2_ip(int i) const {
  if (i < 1 || i > options_.lan2_hosts) throw std::out_of_range("NetnsBed: no lan2 host " + std::to_string(i));
  return "198.19.0." + std::to_string(10 + i);
}
std::string NetnsBed::router_ns() const {
  if (!options_.router) throw std::logic_error("NetnsBed: this bed has no router");
  return prefix_ + "-router";
}

std::string NetnsBed::nat_ns(int lan, int i) const {
  if (lan < 1 || lan > options_.nat_lans || i < 1 || i > options_.nat_hosts)
    throw std::out_of_range("NetnsBed: no host " + std::to_string(i) + " on NAT LAN " + std::to_string(lan));
  return prefix_ + "-n" + std::to_string(lan) + "h" + std::to_string(i);
}
std::string NetnsBed::nat_ip(int lan, int i) const {
  nat_ns(lan, i);  // checks the range
  return "198.19." + std::to_string(lan) + "." + std::to_string(10 + i);
}
std::string NetnsBed::nat_router_ns(int lan) const {
  if (lan < 1 || lan > options_.nat_lans) throw std::out_of_range("NetnsBed: no NAT LAN " + std::to_string(lan));
  return prefix_ + "-n" + std::to_string(lan) + "router";
}
std::string NetnsBed::nat_router_outside_ip(int lan) const {
  nat_router_ns(lan);
  return "198.18.0." + std::to_string(1 + lan);
}
std::string NetnsBed::nat_router_inside_ip(int lan) const {
  nat_router_ns(lan);
  return "198.19." + std::to_string(lan) + ".1";
}

pid_t NetnsBed::spawn(const std::string& ns, std::vector<std::string> argv, std::string log_path,
                      std::vector<std::string> extra_env) {
  if (!up_) throw std::logic_error("NetnsBed: spawn on a bed that is down");
  if (argv.empty()) throw std::invalid_argument("NetnsBed: spawn with an empty argv");
  std::vector<std::string> full{"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  processes_.push_back(std::make_unique<Process>(std::move(full), std::move(log_path), std::move(extra_env)));
  return processes_.back()->pid();
}

pid_t NetnsBed::spawn(int host_index, std::vector<std::string> argv, std::string log_path,
                      std::vector<std::string> extra_env) {
  return spawn(host_ns(host_index), std::move(argv), std::move(log_path), std::move(extra_env));
}

Process* NetnsBed::process(pid_t pid) {
  for (auto& p : processes_) {
    if (p->pid() == pid) return p.get();
  }
  return nullptr;
}

void NetnsBed::kill(pid_t pid, int sig) {
  Process* p = process(pid);
  if (!p) throw std::invalid_argument("NetnsBed: pid " + std::to_string(pid) + " was not spawned by this bed");
  p->kill(sig);
}

int NetnsBed::run(const std::string& ns, std::vector<std::string> argv, std::chrono::milliseconds timeout,
                  std::string* output) {
  if (argv.empty()) throw std::invalid_argument("NetnsBed: run with an empty argv");
  std::vector<std::string> full{"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  const std::string log = temp_log(prefix_ + "-run" + std::to_string(run_counter_++));
  int rc;
  {
    Process p(std::move(full), log);
    rc = p.wait_exit(timeout);
    if (rc < 0) p.stop(1s);
  }
  if (output) *output = file_contents(log);
  std::error_code ec;
  fs::remove(log, ec);
  return rc;
}

int NetnsBed::run(int host_index, std::vector<std::string> argv, std::chrono::milliseconds timeout,
                  std::string* output) {
  return run(host_ns(host_index), std::move(argv), timeout, output);
}

std::vector<std::string> NetnsBed::namespaces_with_prefix(const std::string& prefix) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/var/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix + "-", 0) == 0) found.push_back(name);
  }
  return found;
}

bool skip_or_fail_without_netns() {
  auto reason = NetnsBed::unavailable_reason();
  if (!reason) return false;
  if (running_under_ci()) FAIL("netns unavailable under CI: " << *reason);
  skip("netns unavailable: " + *reason);
  return true;
}

}  // namespace butter::test
