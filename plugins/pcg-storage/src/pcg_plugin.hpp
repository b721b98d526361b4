// PcgStorage: the plugin instance — thin glue between the host and the I/O-free Engine.
// It feeds the engine messages (/butter/pcg/1), ticks (a timer) and calls (butter.storage/1,
// HTTP), and carries out what comes back: sends over butter.net/1, results over the events bus
// (iface/reply.h), stored/dropped topics, the SQLite copy, metrics. Recruitment candidates come
// from butter.peers/1; gets from outside a group ask butter.search/1 when present, and known
// hosts in any case.
#pragma once
#include "engine.hpp"
#include "persist.hpp"
#include "restore.hpp"

#include <butter/iface/peers.h>
#include <butter/iface/search.h>
#include <butter/iface/storage.h>
#include <butter/iface/storage2.h>
#include <butter/iface/storage_quota.h>
#include <butter/plugin.hpp>

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace butter::pcg {

class PcgStorage : public butter::Plugin, public Env {
 public:
  using Plugin::Plugin;

  void init() override;
  void start() override;
  void stop() override;

  // Env
  std::vector<Candidate> candidates(std::size_t k) override;
  std::uint64_t random() override { return rng_(); }
  // Possession challenges must not be predictable from earlier ones (mt19937 is, from its
  // outputs): libsodium's CSPRNG.
  std::uint64_t nonce() override;
  std::string observed_address(const Hash& id) override;
  // The SQLite write (persist.hpp) of a copy the engine is about to count as held.
  butter_status store_durably(const Hash& id, const std::vector<std::uint8_t>& manifest,
                              const std::vector<std::vector<std::uint8_t>>& blocks, const View& view,
                              std::string& why) override;

  // Who gets a put's or get's result: an events topic and the caller's ticket, or an HTTP answer.
  struct Pending {
    std::string topic;
    std::uint64_t ticket = 0;
    std::optional<butter::HttpResponse> http;
  };
  // butter.storage/1 (storage_interface.cpp) and HTTP (http_routes.cpp) go through these. On OK
  // `who` is moved into the pending results; on an error it is left to the caller, who answers.
  butter_status put(Pending& who, Bytes data, std::vector<std::string> keywords, std::string& id_out, std::string& why);
  // An id that is not 64 hex digits is BUTTER_E_INVALID (no result follows).
  butter_status get(Pending& who, std::string_view id_hex, std::string& why);
  const Engine& engine() const { return *engine_; }
  std::uint64_t now_ms() const { return static_cast<std::uint64_t>(now().count()); }

  // HTTP (http_routes.cpp).
  void add_routes();
  struct HttpTransfers;  // streamed puts and gets in progress, by exchange token
  std::shared_ptr<HttpTransfers> http_transfers_;
  std::string list_json() const;
  std::string possession_json() const;

 private:
  void on_net(const butter::Request& req);
  void tick();
  void process(Output& out);
  void deliver(Event& e);
  void start_get(std::uint64_t ticket, const Hash& id);
  void on_search_result(Bytes payload);
  void sync_metrics();
  std::vector<Candidate> known_hosts(std::size_t k);
  void restore_from_disk();

  Config cfg_;
  const butter_net_v1* net_ = nullptr;  // to check for optional functions before the wrapper calls them
  std::unique_ptr<Engine> engine_;
  Hash self_{};
  std::mt19937_64 rng_{std::random_device{}()};
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t next_ticket_ = 1;
  std::uint32_t locate_fanout_ = 8;
  std::uint64_t tick_ms_ = 100;
  std::map<std::string, std::string> observed_;  // node id (hex) -> remote address, for placement
  std::uint64_t observed_read_ms_ = 0;
  Persist db_;
  bool persist_ = false;
  std::string search_topic_;
  butter::Subscription search_sub_;
  std::map<std::uint64_t, std::uint32_t> search_hits_;  // get ticket -> hits so far
  std::map<Hash, std::string> addressed_;                // node -> endpoints given to the host
  butter::Timer tick_timer_;
  // Persistence as /storage and /metrics show it: what the last start restored and quarantined,
  // where a file that was not a database went, writes that failed since.
  struct DiskState {
    std::size_t restored = 0, quarantined = 0;
    std::string renamed_corrupt_file;
    std::uint64_t write_failures = 0, reported_write_failures = 0;
    std::uint64_t last_failure_log_ms = 0, failures_since_log = 0;
  } disk_;
  Stats reported_;
  std::uint64_t send_failures_ = 0, reported_send_failures_ = 0;
};

// The static vtables this plugin serves.
const butter_storage_v1* storage_vtable();
const butter_storage_v2* storage_v2_vtable();
const butter_storage_quota_v1* quota_vtable();

}  // namespace butter::pcg
