// The overlay on an internet-shaped bed: a public LAN (198.18.0.0/24, three hosts) and three private
// LANs (198.19.k.0/24, two hosts each), each behind a NAT router of its own that masquerades what
// leaves and drops what comes in. Every node runs knownhosts-quality (peer exchange of signed peer
// records, neighbours), nat-ambassador, pcg-storage, ir-dbfs and the wiki, and is told of public
// host 1 alone (`bootstrap`); discovery-multicast runs on each node's own LAN, where routers keep
// it. Checked: every nat verdict is decided (public / private), every node reaches every other by
// node id, and a wiki page written on a NATed node is read on every network, and again from every
// other network after its writer was killed -9. Every wait has a deadline; a passing run takes about
// 15 s. The nodes' debug logs stay in /tmp/butter-<bed prefix> when the test fails, or always with
// BUTTER_KEEP_LOGS=1 in the environment (to compare a passing run with a failing one).
#include "support/http_client.hpp"
#include "support/netns_bed.hpp"
#include "support/netns_http.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

using namespace butter::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr int kPublic = 3, kNatLans = 3, kNatHosts = 2;

struct HostNode {
  std::string name;  // "h1", "n2h1"
  int net = 0;       // 0 = public LAN, k = NAT LAN k
  std::string ns, ip, id;
  pid_t pid = 0;
  std::string url(const std::string& path) const { return "http://" + ip + ":8700" + path; }
};

// POST of a form to `n` (the test client sends octet-stream bodies; the wiki wants a form).
HttpResult post_form(const HostNode& n, const std::string& target, const std::string& form,
                     std::chrono::milliseconds timeout) {
  HttpResult result;
  run_in_ns(n.ns, [&] {
    const std::string req = "POST " + target + " HTTP/1.1\r\nHost: " + n.ip +
                            ":8700\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                            "Content-Length: " +
                            std::to_string(form.size()) + "\r\n\r\n" + form;
    const std::string out = raw_exchange(n.ip, 8700, req, timeout);
    std::smatch m;
    if (!std::regex_search(out, m, std::regex(R"(^HTTP/1\.1 (\d{3}))"))) throw std::runtime_error("no answer: " + out);
    result.status = std::stoi(m[1]);
    const auto sep = out.find("\r\n\r\n");
    result.body = sep == std::string::npos ? std::string() : out.substr(sep + 4);
  });
  return result;
}

// The JSON of GET `path` on `n` with its status, or a null body when the node does not answer.
std::pair<int, nlohmann::json> get(const HostNode& n, const std::string& path, std::chrono::milliseconds timeout = 5s) {
  try {
    auto r = http_get_in_ns(n.ns, n.url(path), timeout);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return {r.status, j.is_discarded() ? nlohmann::json() : j};
  } catch (const std::exception&) {
    return {0, nlohmann::json()};
  }
}

std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// The bed, one `butter run` per host, and what the test needs to report when it fails.
struct Internet {
  fs::path dir;
  bool passed = false;
  NetnsBed bed{{.hosts = kPublic, .nat_lans = kNatLans, .nat_hosts = kNatHosts}};
  std::vector<HostNode> nodes;

  Internet() {
    dir = fs::temp_directory_path() / ("butter-" + bed.prefix());
    fs::create_directories(dir);
    // The bootstrap node first: the host dials `bootstrap` once at start and does not retry, so a
    // node started before h1 listens would never join (see the report of this test's first runs).
    start("h1", 0, bed.host_ns(1), bed.host_ip(1));
    if (!wait_until([&] { return get(nodes.front(), "/status").first == 200; }, 20s))
      throw std::runtime_error("the bootstrap node h1 did not come up: " + bed.process(nodes.front().pid)->log());
    for (int i = 2; i <= kPublic; ++i) start("h" + std::to_string(i), 0, bed.host_ns(i), bed.host_ip(i));
    for (int k = 1; k <= kNatLans; ++k)
      for (int j = 1; j <= kNatHosts; ++j)
        start("n" + std::to_string(k) + "h" + std::to_string(j), k, bed.nat_ns(k, j), bed.nat_ip(k, j));
  }

  // On failure: the last lines above debug level of every node's log (the whole debug logs stay in
  // `dir`); the bed goes either way (its destructor runs after this one).
  ~Internet() {
    if (!passed) {
      std::cerr << "overlay netns test failed: node logs kept in " << dir.string() << "\n";
      for (const auto& n : nodes) {
        Process* p = bed.process(n.pid);
        if (!p) continue;
        std::istringstream lines(p->log());
        std::vector<std::string> tail;
        for (std::string l; std::getline(lines, l);) {
          if (l.find("] [debug] ") != std::string::npos) continue;
          tail.push_back(l);
          if (tail.size() > 12) tail.erase(tail.begin());
        }
        std::cerr << "--- " << n.name << " (" << n.ip << ", " << n.id << ")"
                  << (p->running() ? "" : ", exited " + std::to_string(p->exit_status().value_or(-1))) << "\n";
        for (const auto& l : tail) std::cerr << "    " << l << "\n";
      }
    } else {
      bed.tear_down();
      std::error_code ec;
      if (!std::getenv("BUTTER_KEEP_LOGS")) fs::remove_all(dir, ec);
    }
  }

  void start(const std::string& name, int net, const std::string& ns, const std::string& ip) {
    HostNode n;
    n.name = name;
    n.net = net;
    n.ns = ns;
    n.ip = ip;
    const std::string boot = "tcp://" + bed.host_ip(1) + ":7700";
    const fs::path manifest = dir / (n.name + ".toml");
    std::ofstream(manifest)
        << "[node]\nname = \"" << n.name << "\"\nlisten = [\"tcp://" << n.ip << ":7700\"]\nhttp = \"" << n.ip
        << ":8700\"\n"
        << (n.name == "h1" ? "" : "bootstrap = [\"" + boot + "\"]\n")
        << "log_level = \"debug\"\n"  // the logs stay in `dir` when the test fails
        // Small watermarks so that nine nodes exercise trimming and idle closes.
        << "connections_low_water = 3\nconnections_high_water = 6\nconnection_grace_ms = 1000\n"
           "connection_idle_ms = 4000\n"
        << "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n[plugins.peers.config]\n"
           "refresh_ms = 500\ntimeout_ms = 1000\nexchange_min_ms = 100\nexchange_ms = 1000\nneighbour_ms = 200\n"
        << "[plugins.discovery]\nplugin = \"butter.discovery.multicast\"\n[plugins.discovery.config]\n"
           "interface = \""
        << n.ip << "\"\nfast_ms = 100\nslow_ms = 5000\n"
        << "[plugins.nat]\nplugin = \"butter.nat.ambassador\"\n[plugins.nat.config]\n"
           "check_fast_ms = 300\ncheck_ms = 5000\ndialback_timeout_ms = 1000\nkeepalive_ms = 500\n"
           "request_timeout_ms = 1000\nstatus_ms = 500\n"
        << "[plugins.storage]\nplugin = \"butter.storage.pcg\"\n[plugins.storage.config]\n"
           "replicas = 3\nheartbeat_ms = 300\nrequest_timeout_ms = 1000\n"
        << "[plugins.search]\nplugin = \"butter.ir.dbfs\"\n[plugins.search.config]\nrefresh_ms = 500\n"
        << "[plugins.wiki]\nplugin = \"butter.example.wiki\"\n[plugins.wiki.config]\n"
           "search_timeout_ms = 1500\nwrite_wait_ms = 15000\n";
    n.pid =
        bed.spawn(n.ns, {BUTTER_BUILD_DIR "/bin/butter", "run", manifest.string()}, (dir / (n.name + ".log")).string());
    nodes.push_back(std::move(n));
  }

  const HostNode& node(const std::string& name) const {
    for (const auto& n : nodes)
      if (n.name == name) return n;
    throw std::out_of_range(name);
  }

  // "h1 public 8/8, n1h1 private relay=... 8/8, ...": verdicts and hosts known, for messages.
  std::string summary() const {
    std::string s;
    for (const auto& n : nodes) {
      auto [st, nat] = get(n, "/nat");
      auto [st2, kh] = get(n, "/knownhosts");
      s += n.name + " " + str(nat, "verdict") + (str(nat, "relay_endpoint").empty() ? "" : " relayed") + " knows " +
           std::to_string(kh.is_object() ? kh["hosts"].size() : 0) + "; ";
    }
    return s;
  }
};

// GET /wiki/api/page/<page>?fresh=1 on `n` until it answers the page with `text` (bounded).
bool reads_page(const HostNode& n, const std::string& page, const std::string& text, std::chrono::milliseconds timeout,
                std::string& last) {
  return wait_until(
      [&] {
        auto [st, j] = get(n, "/wiki/api/page/" + page + "?fresh=1", 10s);
        last = std::to_string(st) + " " + (j.is_null() ? std::string() : j.dump());
        return st == 200 && str(j, "text") == text && str(j, "page") == page;
      },
      timeout);
}

}  // namespace

TEST_CASE(
    "knownhosts-quality overlay across NATs: every verdict decided - every node reachable by id - a wiki page "
    "outlives its NATed writer") {
  BUTTER_REQUIRE_NETNS();
  const auto t0 = std::chrono::steady_clock::now();
  auto since = [&] {
    return std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()) +
           " ms";
  };
  Internet net;
  auto& nodes = net.nodes;

  // Every node answers and has an id.
  REQUIRE(wait_until(
      [&] {
        for (auto& n : nodes) {
          if (!n.id.empty()) continue;
          auto [st, j] = get(n, "/status");
          if (st == 200 && j.contains("node")) n.id = str(j["node"], "id");
          if (n.id.size() != 64) return false;
        }
        return true;
      },
      20s));

  // Verdicts: public on the public LAN, private behind every NAT; private nodes get a relay endpoint
  // (an ambassador on the public LAN).
  const bool decided = wait_until(
      [&] {
        for (const auto& n : nodes) {
          auto [st, j] = get(n, "/nat");
          if (str(j, "verdict") != (n.net == 0 ? "public" : "private")) return false;
          if (n.net != 0 && str(j, "relay_endpoint").rfind("relay://", 0) != 0) return false;
        }
        return true;
      },
      30s);
  INFO("at " << since() << ": " << net.summary());
  REQUIRE(decided);
  WARN("verdicts decided and relays set up after " << since());

  // Every node reaches every other by node id (GET /nat/ping on the asking node), whatever network
  // either is on: 72 ordered pairs, each retried until it answers or the deadline passes.
  std::map<std::pair<int, int>, std::string> pending;  // (from, to) -> last answer
  for (int a = 0; a < static_cast<int>(nodes.size()); ++a)
    for (int b = 0; b < static_cast<int>(nodes.size()); ++b)
      if (a != b) pending[{a, b}] = "not tried";
  std::map<std::string, int> via_kind;  // "relay" / "direct"
  const auto ping_deadline = std::chrono::steady_clock::now() + 60s;
  while (!pending.empty() && std::chrono::steady_clock::now() < ping_deadline) {
    for (auto it = pending.begin(); it != pending.end();) {
      const auto& from = nodes[static_cast<std::size_t>(it->first.first)];
      const auto& to = nodes[static_cast<std::size_t>(it->first.second)];
      auto [st, j] = get(from, "/nat/ping?peer=" + to.id, 8s);
      if (st == 200 && j.is_object() && j.value("ok", false) && str(j, "from") == to.id) {
        ++via_kind[str(j, "via").rfind("relay://", 0) == 0 ? "relay" : "direct"];
        it = pending.erase(it);
      } else {
        it->second = std::to_string(st) + " " + (j.is_null() ? std::string() : j.dump());
        ++it;
      }
    }
    if (!pending.empty()) std::this_thread::sleep_for(200ms);  // pause between rounds, not synchronisation
  }
  {
    std::string missing;
    for (const auto& [pair, last] : pending)
      missing += nodes[static_cast<std::size_t>(pair.first)].name + "->" +
                 nodes[static_cast<std::size_t>(pair.second)].name + ": " + last + "\n";
    INFO("at " << since() << ", unreachable by id:\n" << missing << net.summary());
    REQUIRE(pending.empty());
  }
  WARN("all 72 ordered pairs reached by id after " << since() << " (" << via_kind["relay"] << " over a relay, "
                                                   << via_kind["direct"] << " direct)");

  // A wiki page written on a NATed node (n1h1)...
  const HostNode& writer = net.node("n1h1");
  const std::string text = "Written behind NAT 1 by " + writer.id + ".";
  auto created =
      post_form(writer, "/wiki/api/pages",
                "title=" + url_encode("Across the NATs") + "&text=" + url_encode(text) + "&keywords=overlay", 30s);
  INFO("POST on " << writer.name << ": " << created.status << " " << created.body);
  REQUIRE(created.status == 201);
  const auto c = nlohmann::json::parse(created.body);
  const std::string page = c["page"];
  REQUIRE(c["replicated"] == true);  // its version and head have r holders before the writer goes

  // ... is read on one node of every network (fresh: by search and storage, not from a cache).
  std::string unread;
  for (const char* name : {"h2", "n1h2", "n2h1", "n3h1"}) {
    std::string last;
    if (!reads_page(net.node(name), page, text, 30s, last))
      unread += std::string(name) + " at " + since() + ": " + last + "\n";
  }
  INFO("not read:\n" << unread << net.summary());
  REQUIRE(unread.empty());
  WARN("page read on every network after " << since());

  // Kill -9 the writer; the page is read again from every other network, on nodes that had not
  // read it yet.
  net.bed.kill(writer.pid, SIGKILL);
  REQUIRE(wait_until([&] { return !net.bed.process(writer.pid)->running(); }, 5s));
  for (const char* name : {"h3", "n2h2", "n3h2"}) {
    std::string last;
    if (!reads_page(net.node(name), page, text, 40s, last))
      unread += std::string(name) + " at " + since() + ": " + last + "\n";
  }
  // No other node exited.
  std::string exited;
  for (const auto& n : nodes)
    if (n.pid != writer.pid && !net.bed.process(n.pid)->running()) exited += n.name + " ";
  INFO("not read after the writer was killed:\n" << unread << net.summary());
  INFO("exited: " << exited);
  REQUIRE(unread.empty());
  REQUIRE(exited.empty());
  WARN("page read from every other network after its writer was killed -9: whole scenario " << since());
  net.passed = true;
}
