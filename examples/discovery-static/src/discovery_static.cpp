// discovery-static: hands a fixed list of peers to the known-host cache (butter.peers/1).
//
// For each configured endpoint URI we dial the peer (butter.net/1 connect; the HELLO tells us its
// node id) and give id + endpoint to butter.peers/1 add_candidate with source "static". The cache
// then probes the candidate and admits it. Until every listed peer is admitted we retry every
// `retry_ms`; when the cache removes one of ours later, we start again. See README.md.
#include <butter/iface/peers.h>
#include <butter/plugin.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

class StaticDiscovery : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override {
    self_ = std::string(node().id());
    // Default and range: the schema; the ranged getter guards a host that enforces no ranges.
    retry_ = std::chrono::milliseconds(config().get_int("retry_ms"));
    for (const auto& uri : config().get_strings("peers")) {
      if (!valid_uri(uri)) throw butter::Error(BUTTER_E_INVALID, "peers: \"" + uri + "\" is not tcp://host:port");
      targets_.push_back(Target{uri, {}, false, false});
    }
    metrics().describe("discovery_static_connects_total", "Connections made to listed peers");
    metrics().describe("discovery_static_connect_failures_total", "Failed attempts to connect to listed peers");
    metrics().describe("discovery_static_candidates_total", "Listed peers handed to butter.peers/1");
    metrics().describe("discovery_static_unknown", "Listed peers not yet known to butter.peers/1");
  }

  void start() override {
    // Our own endpoints are skipped, so that every node of a network can share one list.
    for (const auto& ep : node().endpoints()) {
      std::erase_if(targets_, [&](const Target& t) { return t.uri == ep; });
    }
    if (targets_.empty()) {
      log().warn("no peers configured: this node will only be found by others");
      return;
    }
    if (events().available()) {
      removed_ = events().subscribe(BUTTER_PEERS_TOPIC_REMOVED,
                                    [this](std::string_view, butter::Bytes id) { forgotten(std::string(id.text())); });
    }
    log().info("{} static peers, retrying every {} ms until known", targets_.size(), retry_.count());
    attempt();
    retry_timer_ = every(retry_, [this] { attempt(); });
  }

  void stop() override {
    retry_timer_.cancel();
    removed_.unsubscribe();
  }

 private:
  struct Target {
    std::string uri;
    std::string node_id;  // once a connection told us
    bool connecting = false;
    bool known = false;  // admitted by butter.peers/1
  };

  static bool valid_uri(const std::string& uri) {
    constexpr std::string_view scheme = "tcp://";
    if (uri.rfind(scheme, 0) != 0) return false;
    const auto colon = uri.rfind(':');
    if (colon <= scheme.size() || colon + 1 >= uri.size()) return false;
    return std::all_of(uri.begin() + static_cast<std::ptrdiff_t>(colon) + 1, uri.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  }

  bool admitted(const std::string& id) const {
    auto peers = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS);
    if (!peers) return false;
    return peers->lookup(
               peers.provider(), butter::to_c(id), [](void*, const butter_peer_record*) {}, nullptr) == BUTTER_OK;
  }

  // One round: dial every listed peer that the cache does not know yet.
  void attempt() {
    std::size_t unknown = 0;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      Target& t = targets_[i];
      if (!t.node_id.empty() && admitted(t.node_id)) t.known = true;
      if (t.known) continue;
      ++unknown;
      if (t.connecting) continue;
      t.connecting = true;
      butter::Status s =
          connect(t.uri, [this, i](const butter::Status& st, std::string_view id) { connected(i, st, id); });
      if (!s) {
        t.connecting = false;
        failures_.add();
        log().debug("connect {}: {}", t.uri, s.message());
      }
    }
    unknown_.set(static_cast<double>(unknown));
    if (unknown == 0) {
      log().info("all {} static peers known", targets_.size());
      retry_timer_.cancel();
    }
  }

  void connected(std::size_t i, const butter::Status& st, std::string_view id) {
    Target& t = targets_[i];
    t.connecting = false;
    if (!st) {
      failures_.add();
      log().debug("connect {}: {}", t.uri, st.message());
      return;
    }
    connects_.add();
    t.node_id = std::string(id);
    if (t.node_id == self_) {  // our own address under another name
      t.known = true;
      return;
    }
    auto peers = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS);
    if (!peers) {
      log().debug("no butter.peers/1 now: {}", peers.status().message());
      return;
    }
    const butter_str endpoint = butter::to_c(t.uri);
    const butter_status s =
        peers->add_candidate(peers.provider(), butter::to_c(t.node_id), &endpoint, 1, butter::to_c("static"));
    if (s == BUTTER_OK) {
      candidates_.add();
      log().debug("candidate {} at {}", t.node_id.substr(0, 8), t.uri);
    } else {
      log().warn("butter.peers/1 refused {} at {}: {}", t.node_id.substr(0, 8), t.uri, butter::status_name(s));
    }
  }

  // The cache forgot a host: if it is one of ours, dial it again until it is back.
  void forgotten(const std::string& id) {
    bool ours = false;
    for (auto& t : targets_) {
      if (t.node_id == id) {
        t.known = false;
        ours = true;
      }
    }
    if (ours && !retry_timer_.active()) {
      log().info("static peer {} was removed; retrying", id.substr(0, 8));
      retry_timer_ = every(retry_, [this] { attempt(); });
    }
  }

  std::string self_;
  std::chrono::milliseconds retry_{1000};
  std::vector<Target> targets_;
  butter::Timer retry_timer_;
  butter::Subscription removed_;
  butter::Counter connects_ = metrics().counter("discovery_static_connects_total");
  butter::Counter failures_ = metrics().counter("discovery_static_connect_failures_total");
  butter::Counter candidates_ = metrics().counter("discovery_static_candidates_total");
  butter::Gauge unknown_ = metrics().gauge("discovery_static_unknown");
};

}  // namespace

BUTTER_PLUGIN(StaticDiscovery,
              butter::Descriptor{.id = "org.example.discovery-static",
                                 .name = "Static discovery",
                                 .vendor = "Example",
                                 .version = "1.0.0",
                                 .description = "Hands a fixed list of peers (endpoint URIs) to the known-host cache",
                                 .required = {BUTTER_IFACE_PEERS},
                                 .config = {
                                     {"peers", butter::ConfigType::StringArray, false,
                                      "endpoint URIs of the peers, \"tcp://host:port\""},
                                     butter::config_int("retry_ms", 1000)
                                         .min(1)
                                         .unit("ms")
                                         .describe("how often unknown peers are dialled again"),
                                 }});
