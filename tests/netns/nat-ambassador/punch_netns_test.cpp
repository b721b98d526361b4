// Hole punching in the NAT lab: two private nodes, each behind a NAT router of its own kind
// (NetnsBed nat_kinds: "eim" port-preserving endpoint-independent mapping, "random" /
// "fully-random" unpredictable ports; every router drops unsolicited inbound TCP), and two public
// nodes they bootstrap to. One private node reaches the other through its relay:// endpoint; the
// nat-ambassador plugins then try the direct upgrade (Connect / Sync over the relayed connection,
// then a simultaneous TCP open). Where both mappings preserve the port the connection must become
// direct ("punched" in /status); where one does not, it must stay relayed and keep working.
//
// The [.bench] test repeats each pair type and prints the success rate and time to direct:
//   sudo build/tests/netns/test-netns-nat-ambassador "[.bench]"   (see the plugin's README)
#include "support/http_client.hpp"
#include "support/netns_bed.hpp"
#include "support/netns_http.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace butter::test;
namespace fs = std::filesystem;

namespace {

struct LabNode {
  std::string ns, ip;
  pid_t pid = 0;
  std::string url(const std::string& path) const { return "http://" + ip + ":8700" + path; }
};

// `extra`: more [plugins.nat.config] lines (one that sets a key set below replaces that line); a
// line "node.<key> = ..." goes to [node] as "<key> = ..." instead.
LabNode start_lab_node(NetnsBed& bed, const std::string& ns, const std::string& ip,
                       const std::vector<std::string>& peers_in, const std::string& extra = "",
                       const std::string& upgrade_ms = "300") {
  fs::path dir = fs::temp_directory_path() / ("butter-" + bed.prefix());
  fs::create_directories(dir);
  fs::path manifest = dir / (ns + ".toml");
  std::string peers;
  for (const auto& p : peers_in) peers += (peers.empty() ? "\"" : ", \"") + p + "\"";
  std::string node_lines, nat_lines;
  std::istringstream lines(extra);
  for (std::string line; std::getline(lines, line);)
    (line.rfind("node.", 0) == 0 ? node_lines : nat_lines) +=
        (line.rfind("node.", 0) == 0 ? line.substr(5) : line) + "\n";
  std::string nat_defaults;
  const std::vector<std::string> defaults{
      "check_fast_ms = 300",       "check_ms = 3000",   "dialback_timeout_ms = 1000", "keepalive_ms = 500",
      "request_timeout_ms = 1000", "status_ms = 500",   "upgrade_ms = " + upgrade_ms, "punch_window_ms = 3000",
      "punch_backoff_ms = 500",    "punch_attempts = 3"};
  for (const auto& d : defaults)
    if (("\n" + nat_lines).find("\n" + d.substr(0, d.find(' ')) + " =") == std::string::npos) nat_defaults += d + "\n";
  std::ofstream(manifest)
      << "[node]\nname = \"" << ns << "\"\nlisten = [\"tcp://" << ip << ":7700\"]\nhttp = \"" << ip << ":8700\"\n"
      << node_lines << "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n[plugins.peers.config]\n"
      << "refresh_ms = 500\ntimeout_ms = 1000\n"
      << "[plugins.discovery]\nplugin = \"org.example.discovery-static\"\n[plugins.discovery.config]\n"
      << "peers = [" << peers << "]\nretry_ms = 300\n"
      << "[plugins.nat]\nplugin = \"butter.nat.ambassador\"\n[plugins.nat.config]\n"
      << nat_defaults << nat_lines;
  LabNode n{ns, ip};
  n.pid = bed.spawn(ns, {BUTTER_BUILD_DIR "/bin/butter", "run", manifest.string()}, (dir / (ns + ".log")).string());
  return n;
}

nlohmann::json get(const LabNode& n, const std::string& path) {
  auto j = json_in_ns(n.ns, n.url(path));
  return j && j->is_object() ? *j : nlohmann::json::object();
}

nlohmann::json ping(const LabNode& from, const std::string& peer) {
  auto r = http_get_in_ns(from.ns, from.url("/nat/ping?peer=" + url_encode(peer)), std::chrono::seconds(8));
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

// The /status peer entry of `id` on `n` (an empty object when not connected).
nlohmann::json peer_entry(const LabNode& n, const std::string& id) {
  auto st = get(n, "/status");
  if (st.contains("peers") && st["peers"].is_array())
    for (const auto& p : st["peers"])
      if (p.value("id", "") == id) return p;
  return nlohmann::json::object();
}

// The punch.upgrades entry of `peer` in /nat of `n`.
nlohmann::json upgrade_entry(const LabNode& n, const std::string& peer) {
  auto j = get(n, "/nat");
  if (j.contains("punch") && j["punch"].contains("upgrades"))
    for (const auto& u : j["punch"]["upgrades"])
      if (u.value("peer", "") == peer) return u;
  return nlohmann::json::object();
}

struct Outcome {
  bool relayed_ok = false;  // the relayed connection carried a ping
  bool direct = false;      // "punched" on both sides
  bool reachable_after = false;
  std::chrono::milliseconds to_direct{0};
  std::string detail;
};

// One pair: private node a behind NAT kind ka, b behind kb. a pings b's relay endpoint; then we
// wait for the upgrade (up to `wait_direct`) and check that b is still reachable by id.
// With `same_nat`, a and b are two hosts behind ONE router of kind ka (kb unused).
struct Lab {
  NetnsBed bed;
  LabNode pub1, pub2, a, b;
  std::string a_id, b_id, b_relay;
  // `extra` and `upgrade_ms` go to the private nodes' nat config (see start_lab_node).
  Lab(const std::string& ka, const std::string& kb, bool same_nat = false, const std::string& extra = "",
      const std::string& upgrade_ms = "300")
      : bed(same_nat ? NetnsBed::Options{.hosts = 2, .nat_lans = 1, .nat_hosts = 2, .nat_kinds = {ka}}
                     : NetnsBed::Options{.hosts = 2, .nat_lans = 2, .nat_hosts = 1, .nat_kinds = {ka, kb}}) {
    auto ep = [&](int i) { return "tcp://" + bed.host_ip(i) + ":7700"; };
    pub1 = start_lab_node(bed, bed.host_ns(1), bed.host_ip(1), {ep(2)});
    pub2 = start_lab_node(bed, bed.host_ns(2), bed.host_ip(2), {ep(1)});
    a = start_lab_node(bed, bed.nat_ns(1, 1), bed.nat_ip(1, 1), {ep(1), ep(2)}, extra, upgrade_ms);
    b = same_nat ? start_lab_node(bed, bed.nat_ns(1, 2), bed.nat_ip(1, 2), {ep(1), ep(2)}, extra, upgrade_ms)
                 : start_lab_node(bed, bed.nat_ns(2, 1), bed.nat_ip(2, 1), {ep(1), ep(2)}, extra, upgrade_ms);
  }
  // Both private nodes have a relay endpoint and a confirmed public address.
  std::string last_state;  // /nat of both private nodes when ready() gave up
  bool ready() {
    return wait_until(
        [&] {
          auto ja = get(a, "/nat"), jb = get(b, "/nat");
          last_state = "a: " + ja.dump() + "\nb: " + jb.dump();
          if (!ja.contains("punch") || !jb.contains("punch")) return false;
          if (!jb["relay_endpoint"].is_string() || ja["punch"]["addresses"].empty() || jb["punch"]["addresses"].empty())
            return false;
          a_id = ja.value("node", "");
          b_id = jb.value("node", "");
          b_relay = jb["relay_endpoint"].get<std::string>();
          return true;
        },
        std::chrono::seconds(30));
  }
  Outcome run(std::chrono::milliseconds wait_direct) {
    Outcome o;
    auto j = ping(a, b_relay);
    o.relayed_ok = j.value("ok", false) && j.value("via", "").rfind("relay://", 0) == 0;
    o.detail = "relayed ping: " + j.dump();
    const auto t0 = std::chrono::steady_clock::now();
    o.direct = wait_until(
        [&] {
          return peer_entry(a, b_id).value("how", "") == "punched" && peer_entry(b, a_id).value("how", "") == "punched";
        },
        wait_direct);
    o.to_direct = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    auto again = ping(a, b_id);
    o.reachable_after = again.value("ok", false) && again.value("from", "") == b_id;
    o.detail +=
        "\nafter: " + again.dump() + "\na's entry for b: " + peer_entry(a, b_id).dump() +
        "\nupgrade on the smaller id: " + (a_id < b_id ? upgrade_entry(a, b_id) : upgrade_entry(b, a_id)).dump();
    return o;
  }
};

// `extra`: the private nodes' config lines (start_lab_node); `when_ready` runs once both have a
// relay endpoint and a confirmed address, before the relayed ping; `when_direct` once direct.
void expect_direct(const std::string& ka, const std::string& kb, const std::string& extra = "",
                   std::chrono::seconds wait = std::chrono::seconds(20),
                   const std::function<void(Lab&)>& when_ready = {},
                   const std::function<void(Lab&)>& when_direct = {}) {
  Lab lab(ka, kb, false, extra);
  const bool ready = lab.ready();
  INFO(lab.last_state);
  REQUIRE(ready);
  if (when_ready) when_ready(lab);
  auto o = lab.run(wait);
  INFO(o.detail);
  CHECK(o.relayed_ok);
  REQUIRE(o.direct);
  CHECK(o.reachable_after);
  // The traffic now goes direct: the answer comes over a tcp:// connection to b's NAT.
  auto j = ping(lab.a, lab.b_id);
  CHECK(j.value("via", "").rfind("tcp://" + lab.bed.nat_router_outside_ip(2) + ":", 0) == 0);
  CHECK(peer_entry(lab.a, lab.b_id).value("path", "") == "direct");
  CHECK(peer_entry(lab.b, lab.a_id).value("path", "") == "direct");
  // The ambassador of the circuit vouched for each one's NAT address (where the spread may go).
  auto vouched = [](const LabNode& n, const std::string& peer) {
    auto u = upgrade_entry(n, peer);
    return u.contains("vouched_ip") && u["vouched_ip"].is_string() ? u["vouched_ip"].get<std::string>()
                                                                   : std::string("none");
  };
  CHECK(vouched(lab.a, lab.b_id) == lab.bed.nat_router_outside_ip(2));
  CHECK(vouched(lab.b, lab.a_id) == lab.bed.nat_router_outside_ip(1));
  if (when_direct) when_direct(lab);
  // The relay circuit closes once the direct connection carries the traffic.
  CHECK(wait_until(
      [&] {
        return get(lab.pub1, "/nat").value("relays_active", 1) + get(lab.pub2, "/nat").value("relays_active", 1) == 0;
      },
      std::chrono::seconds(10)));
  WARN(ka << "/" << kb << ": direct " << o.to_direct.count() << " ms after the relayed ping");
}

// Two private nodes behind the same NAT (hairpinning on or off): they share the NAT's public
// address, so the plugin offers its LAN address too and the connection goes direct over the LAN.
void expect_direct_same_nat(const std::string& kind) {
  Lab lab(kind, "", true);
  const bool ready = lab.ready();
  INFO(lab.last_state);
  REQUIRE(ready);
  auto o = lab.run(std::chrono::seconds(15));
  INFO(o.detail);
  CHECK(o.relayed_ok);
  REQUIRE(o.direct);
  CHECK(o.reachable_after);
  auto j = ping(lab.a, lab.b_id);
  INFO(j.dump());
  CHECK(j.value("via", "") == "tcp://" + lab.bed.nat_ip(1, 2) + ":7700");
  CHECK(peer_entry(lab.a, lab.b_id).value("path", "") == "direct");
  CHECK(peer_entry(lab.b, lab.a_id).value("path", "") == "direct");
  WARN(kind << " (both behind it): direct over the LAN " << o.to_direct.count() << " ms after the relayed ping");
}

// Where a mapping is unpredictable the punch fails (its reason is recorded) and the relay keeps
// carrying the traffic. The birthday attempt is off here (its default odds, about 0.03% a punch,
// would make the assertion flaky, and the full-width one where a NAT varies ports, about 63%, too);
// the [.bench] test measures them.
void expect_relay(const std::string& ka, const std::string& kb) {
  Lab lab(ka, kb, false,
          "punch_spread_sockets = 0\npunch_spread_guesses = 0\npunch_hard_sockets = 0\npunch_hard_guesses = 0\n");
  const bool ready = lab.ready();
  INFO(lab.last_state);
  REQUIRE(ready);
  const std::string& initiator_of = lab.a_id < lab.b_id ? lab.b_id : lab.a_id;  // the peer the smaller id upgrades
  const LabNode& initiator = lab.a_id < lab.b_id ? lab.a : lab.b;
  auto j = ping(lab.a, lab.b_relay);
  INFO(j.dump());
  REQUIRE(j.value("ok", false));
  nlohmann::json u;
  const bool tried = wait_until(
      [&] {
        u = upgrade_entry(initiator, initiator_of);
        return u.value("attempts", 0) >= 1 && !u.value("running", true) && !u.value("last", "").empty();
      },
      std::chrono::seconds(30));
  INFO(u.dump());
  REQUIRE(tried);
  CHECK(u.value("last", "") != "direct");
  CHECK(peer_entry(lab.a, lab.b_id).value("path", "") == "relayed");
  auto again = ping(lab.a, lab.b_id);
  INFO(again.dump());
  CHECK(again.value("ok", false));
  CHECK(again.value("via", "").rfind("relay://", 0) == 0);
  WARN(ka << "/" << kb << ": punch failed as expected (" << u.value("last", "") << "); relayed");
}

}  // namespace

TEST_CASE("nat-ambassador punch eim-eim: two port-preserving NATs give a direct connection") {
  BUTTER_REQUIRE_NETNS();
  expect_direct("eim", "eim");
}

TEST_CASE("nat-ambassador punch same NAT without hairpinning: direct over the LAN") {
  BUTTER_REQUIRE_NETNS();
  expect_direct_same_nat("eim");
}

TEST_CASE("nat-ambassador punch same NAT with hairpinning: direct") {
  BUTTER_REQUIRE_NETNS();
  expect_direct_same_nat("eim+hairpin");
}

TEST_CASE("nat-ambassador punch eim-random with the birthday attempt off: stays relayed") {
  BUTTER_REQUIRE_NETNS();
  expect_relay("eim", "random");
}

// Each private node asks its two public peers where they see its connections come from (Mapping)
// and compares the ports with its sockets': a's NAT keeps them, b's varies them. b says so in
// Connect, and the punch becomes the birthday attempt: b opens 256 sockets to a's public address,
// a sends 256 SYNs to random ports of b's NAT; about 63% a punch (1 - exp(-256 x 256 / 64512)).
// Eight punches, 100 ms apart at first, make a miss about one run in 3000.
TEST_CASE(
    "nat-ambassador punch eim-random: each side learns how its NAT maps ports and the birthday attempt "
    "goes direct") {
  BUTTER_REQUIRE_NETNS();
  const std::string extra =
      "punch_attempts = 8\npunch_backoff_ms = 100\nnode.punch_spread_syns_per_ip_per_minute = 8192\n";
  auto mapping = [](const LabNode& n) {
    return get(n, "/nat").value("punch", nlohmann::json::object()).value("mapping", "");
  };
  auto when_ready = [&](Lab& lab) {
    std::string ma, mb;
    CHECK(wait_until(
        [&] {
          ma = mapping(lab.a);
          mb = mapping(lab.b);
          return ma == "keeps-ports" && mb == "varies";
        },
        std::chrono::seconds(20)));
    INFO("a: " << ma << ", b: " << mb);
    CHECK(ma == "keeps-ports");
    CHECK(mb == "varies");
  };
  auto when_direct = [](Lab& lab) {
    // The side that keeps ports guessed b's, the side that varies opened many sockets.
    const auto ua = upgrade_entry(lab.a, lab.b_id), ub = upgrade_entry(lab.b, lab.a_id);
    INFO("a's upgrade: " << ua.dump() << "\nb's upgrade: " << ub.dump());
    CHECK(ua.value("guesses", 0) == 256);
    CHECK(ub.value("sockets", 0) == 256);
    CHECK(ua.value("peer_mapping", "") == "varies");
  };
  expect_direct("eim", "random", extra, std::chrono::seconds(60), when_ready, when_direct);
}

TEST_CASE("nat-ambassador punch fully-random both sides: stays relayed and reachable") {
  BUTTER_REQUIRE_NETNS();
  expect_relay("fully-random", "fully-random");
}

// Not in CI: success rate and time to direct per pair type, a fresh lab per attempt.
//   sudo build/bin/test-netns-nat-ambassador "nat-ambassador punch success rate per NAT pair type"
// BUTTER_PUNCH_BENCH_N (default 20) attempts per pair type; BUTTER_PUNCH_BENCH_PAIRS, a comma-separated
// list of labels (below), runs only those. Every row runs the defaults: where a node learns that its
// NAT varies ports the birthday attempt is 256 x 256 (punch_hard_*). "-off" rows turn it off
// (punch_hard_* = 0), leaving the configured spread of 4 + 4.
TEST_CASE("nat-ambassador punch success rate per NAT pair type", "[.bench]") {
  BUTTER_REQUIRE_NETNS();
  int n = 20;
  if (const char* e = std::getenv("BUTTER_PUNCH_BENCH_N")) n = std::max(1, std::atoi(e));
  std::string only = std::getenv("BUTTER_PUNCH_BENCH_PAIRS") ? std::getenv("BUTTER_PUNCH_BENCH_PAIRS") : "";
  const std::string off = "punch_hard_sockets = 0\npunch_hard_guesses = 0\n";
  struct Pair {
    std::string label, ka, kb;
    bool same_nat;
    std::string extra;
  };
  const std::vector<Pair> pairs{{"eim/eim", "eim", "eim", false, ""},
                                {"same-nat", "eim", "", true, ""},
                                {"same-nat-hairpin", "eim+hairpin", "", true, ""},
                                {"eim/random-off", "eim", "random", false, off},
                                {"eim/random", "eim", "random", false, ""},
                                {"eim/fully-random", "eim", "fully-random", false, ""},
                                {"random/random", "random", "random", false, ""},
                                {"fully-random/fully-random", "fully-random", "fully-random", false, ""}};
  for (const auto& pr : pairs) {
    if (!only.empty() && ("," + only + ",").find("," + pr.label + ",") == std::string::npos) continue;
    int direct = 0, reachable = 0, ready = 0;
    std::vector<long> times;
    for (int i = 0; i < n; ++i) {
      Lab lab(pr.ka, pr.kb, pr.same_nat, pr.extra);
      if (!lab.ready()) continue;
      ++ready;
      auto o = lab.run(std::chrono::seconds(20));  // 3 punches of 3 s, 0.5 and 1 s apart, and slack
      if (o.direct) {
        ++direct;
        times.push_back(static_cast<long>(o.to_direct.count()));
      }
      if (o.reachable_after) ++reachable;
    }
    std::sort(times.begin(), times.end());
    std::cout << "pair " << pr.label << ": attempts " << ready << " of " << n << ", direct " << direct
              << ", reachable (direct or relayed) " << reachable;
    if (!times.empty())
      std::cout << ", time to direct after the first relayed ping: median " << times[times.size() / 2] << " ms, max "
                << times.back() << " ms";
    std::cout << std::endl;
    CHECK(reachable == ready);
  }
}

namespace {
// GET /nat/throughput from `from` to `peer`: 64 pings of 64 KiB echoed, 4 in flight (8 MiB both ways);
// BUTTER_PUNCH_BENCH_TPUT_COUNT and _INFLIGHT (at most 4096 and 16, the route's bounds) change those.
nlohmann::json throughput(const LabNode& from, const std::string& peer) {
  auto env = [](const char* name, int dflt) {
    const char* e = std::getenv(name);
    return e ? std::max(1, std::atoi(e)) : dflt;
  };
  const std::string query = "&size=65536&count=" + std::to_string(env("BUTTER_PUNCH_BENCH_TPUT_COUNT", 64)) +
                            "&inflight=" + std::to_string(env("BUTTER_PUNCH_BENCH_TPUT_INFLIGHT", 4));
  auto r =
      http_get_in_ns(from.ns, from.url("/nat/throughput?peer=" + url_encode(peer) + query), std::chrono::seconds(60));
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}
}  // namespace

// Not in CI: bytes/s over the relayed connection, then over the punched one, in the same lab
// (eim/eim; upgrade_ms = 4000 so that the relayed run usually ends before the first punch: a
// run during which the path changed is discarded and the lab rebuilt).
//   sudo build/bin/test-netns-nat-ambassador "nat-ambassador throughput relayed vs direct"
// BUTTER_PUNCH_BENCH_TPUT_N (default 5) labs.
TEST_CASE("nat-ambassador throughput relayed vs direct", "[.bench]") {
  BUTTER_REQUIRE_NETNS();
  int n = 5;
  if (const char* e = std::getenv("BUTTER_PUNCH_BENCH_TPUT_N")) n = std::max(1, std::atoi(e));
  std::vector<double> relayed, direct, ratio;
  for (int i = 0, tries = 0; i < n && tries < 3 * n; ++tries) {
    Lab lab("eim", "eim", false, "", "4000");
    if (!lab.ready()) continue;
    auto j = ping(lab.a, lab.b_relay);
    if (!j.value("ok", false)) continue;
    auto r = throughput(lab.a, lab.b_id);
    INFO(r.dump());
    if (!r.value("ok", false) || r.value("via_start", "").rfind("relay://", 0) != 0 ||
        r.value("via_end", "").rfind("relay://", 0) != 0)
      continue;
    const bool up =
        wait_until([&] { return peer_entry(lab.a, lab.b_id).value("how", "") == "punched"; }, std::chrono::seconds(15));
    if (!up) continue;
    auto d = throughput(lab.a, lab.b_id);
    INFO(d.dump());
    if (!d.value("ok", false) || d.value("via_start", "").rfind("tcp://", 0) != 0) continue;
    relayed.push_back(r.value("bytes_per_s", 0.0));
    direct.push_back(d.value("bytes_per_s", 0.0));
    ratio.push_back(relayed.back() / direct.back());
    std::cout << "lab " << i << ": relayed " << relayed.back() / 1e6 << " MB/s, direct " << direct.back() / 1e6
              << " MB/s, relayed/direct " << ratio.back() << std::endl;
    ++i;
  }
  REQUIRE(!ratio.empty());
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::cout << "throughput (64 KiB echoed, "
            << (std::getenv("BUTTER_PUNCH_BENCH_TPUT_INFLIGHT") ? std::getenv("BUTTER_PUNCH_BENCH_TPUT_INFLIGHT") : "4")
            << " in flight, " << ratio.size() << " labs): relayed median " << median(relayed) / 1e6
            << " MB/s, direct median " << median(direct) / 1e6 << " MB/s, relayed/direct median " << median(ratio)
            << " (min " << *std::min_element(ratio.begin(), ratio.end()) << ", max "
            << *std::max_element(ratio.begin(), ratio.end()) << ")" << std::endl;
}
