// DbfsPlugin: the plugin instance — thin glue around the I/O-free Engine. It feeds the engine
// the node's clock and the /butter/dbfs/1 messages, carries out the actions it returns (sends,
// results on the events bus or an HTTP answer), keeps the neighbour set from butter.peers/1 and
// the local index from butter.storage/1, and serves butter.search/1.
#pragma once
#include "engine.hpp"

#include <butter/iface/peers.h>
#include <butter/iface/search.h>
#include <butter/iface/storage.h>
#include <butter/iface/storage2.h>
#include <butter/cpp/connections.hpp>
#include <butter/cpp/json.hpp>  // butter::Json, dump_json: the HTTP routes' answers
#include <butter/plugin.hpp>

#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace butter::dbfs {

// A copy of a string borrowed from a C caller (a null one reads as empty).
inline std::string copy_str(butter_str s) { return s.data ? std::string(s.data, s.len) : std::string(); }

class DbfsPlugin : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override;
  void start() override;
  void stop() override;
  // Hot swap: the annotations (storage's objects come back through list()) and the neighbours.
  std::string save_state() override;
  void load_state(std::string_view state) override;

  // butter.search/1 (search_interface.cpp). find returns BUTTER_E_INVALID with `why` for a bad query.
  butter_status find(std::string topic, std::uint64_t ticket, const SearchSpec& spec, std::string& why);
  butter_status annotate(const std::string& object_id, const std::vector<std::string>& keywords);

 private:
  // Where the results of one search go: an events topic (the interface) or an HTTP answer.
  struct Pending {
    std::string topic;
    std::uint64_t ticket = 0;
    std::optional<butter::HttpResponse> http;
    Json http_hits = Json::array();  // the hits collected so far
    std::uint64_t started_ms = 0;
  };

  EngineConfig read_config();
  std::uint64_t now_ms() const { return static_cast<std::uint64_t>(now().count()); }
  void on_message(const butter::Request& req);
  void execute(Actions& out);
  void publish_hit(Pending& p, const HitEvent& h);
  void publish_done(Pending& p, const DoneEvent& d);
  void arm_timer();
  void on_tick();
  void housekeeping();
  void refresh_neighbours(bool top_up_only);
  void send_links();
  void choose_outbound(std::vector<std::string> keep);
  void protect_outbound();
  void load_index();
  void on_stored(const std::string& id);
  void sync_metrics();
  // proof_source.cpp: answers a PROVE from storage (butter.storage/2 manifest and one block read;
  // a /1-only provider: the object's bytes and keywords).
  void prepare_proof(const ProveWanted& w);
  // peer_addresses.cpp: the remote address of a sender's connection (for the query rate: one
  // lookup by id on the host), and a closed peer's inbound slot freed (watch_peers).
  void watch_peers();
  std::string remote_address_of(const std::string& peer);
  std::uint64_t start_search(const SearchSpec& spec, Pending p, std::string& why);

  // http_routes.cpp
  void add_routes();
  Json status_json();
  Json blocked_json();
  Json demoted_json();

  std::unique_ptr<Engine> engine_;
  std::map<std::uint64_t, Pending> pending_;
  // Manifests derived for proofs from a /1-only provider (object id -> manifest, block size):
  // deriving tries block sizes. Unused with butter.storage/2, which hands out the manifest.
  struct CachedManifest {
    std::vector<std::uint8_t> bytes;
    std::uint32_t block_size = 0;
  };
  std::map<std::string, CachedManifest> manifests_;
  std::uint32_t last_block_size_ = 64 * 1024;  // the block size that matched last (tried first)
  butter::Connections conns_{nullptr};
  std::set<std::string> protected_;  // the outbound neighbours this instance protects ("search")
  std::size_t want_neighbours_ = 4;
  std::uint32_t hosts_at_choice_ = 0;  // known hosts when the neighbours were last all chosen
  std::chrono::milliseconds refresh_{10000};
  bool index_loaded_ = false;
  butter::Timer tick_timer_, house_timer_;
  std::uint64_t armed_at_ = std::numeric_limits<std::uint64_t>::max();
  std::vector<butter::Subscription> subs_;
  Counters last_{};
  std::uint64_t send_failed_ = 0;
  butter::Counter send_failed_metric_ = metrics().counter("dbfs_send_failed_total");
  butter::Gauge neighbours_gauge_ = metrics().gauge("dbfs_neighbours");
  butter::Gauge index_gauge_ = metrics().gauge("dbfs_index_objects");
};

// The static butter.search/1 vtable this plugin serves.
const butter_search_v1* search_vtable();

// JSON string literal of `s` (quotes included), control characters escaped.

}  // namespace butter::dbfs
