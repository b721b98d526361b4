// PcgStorage: the plugin instance — thin glue between the host and the I/O-free Engine.
// It feeds the engine messages (/butter/pcg/1), ticks (a timer) and calls (butter.storage/1,
// HTTP), and carries out what comes back: sends over butter.net/1, results over the events bus
// (iface/reply.h), stored/dropped topics, the SQLite copy, metrics. Recruitment candidates come
// from butter.peers/1; gets from outside a group ask butter.search/1 when present, and known
// hosts in any case.
#pragma once
#include "block_writer.hpp"
#include "engine.hpp"
#include "persist.hpp"
#include "restore.hpp"

#include <butter/iface/peers.h>
#include <butter/iface/search.h>
#include <butter/iface/storage.h>
#include <butter/iface/storage2.h>
#include <butter/iface/storage3.h>
#include <butter/iface/storage_quota.h>
#include <butter/plugin.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace butter::pcg {

class StorageRoutes;

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
    std::function<void(const Event&)> callback;  // a streamed put's commit (PutDone)
  };
  // butter.storage/1 (storage_interface.cpp) and HTTP (http_routes.cpp) go through these. On OK
  // `who` is moved into the pending results; on an error it is left to the caller, who answers.
  butter_status put(Pending& who, Bytes data, std::vector<std::string> keywords, std::string& id_out, std::string& why);
  // An id that is not 64 hex digits is BUTTER_E_INVALID (no result follows).
  butter_status get(Pending& who, std::string_view id_hex, std::string& why);
  const Engine& engine() const { return *engine_; }

  // --- Streamed reads and puts: butter.storage/3 (storage_interface.cpp) and HTTP call these ---
  //
  // STREAMED READ. open_read starts reading bytes [offset, offset + length) of object `id_hex`
  // (64 hex digits; length clipped at the object's end, UINT64_MAX = to the end) from this node
  // or its group, and writes the read's id to `read_id`. Blocks come from several members at
  // once, each verified before delivery; at most `window` blocks (1..Engine::kMaxStreamWindow;
  // 0 = kDefaultReadWindow) are held for the read at any time, so memory is window x block size
  // whatever the object's size. `chunk` receives the range in order, one call per unit of
  // credit (initial_credit, then read_credit), the bytes borrowed for the call; `done` is called
  // once at the end with the status, the first offset not delivered (open a new read there to
  // resume) and a reason. Neither is ever called from inside open_read/read_credit/read_cancel:
  // they run later on the node's executor, so a handler may call read_credit or read_cancel.
  // read_cancel frees the read at once; nothing is called after it. stop() ends open reads with
  // done(BUTTER_E_CANCELLED, the offset the chunks handed to this consumer reached), also reads
  // whose end was queued but not yet delivered; calls made from those handlers are refused
  // (BUTTER_E_CANCELLED). Errors returned at once (no handler is called): BUTTER_E_INVALID
  // (id, window), BUTTER_E_NOMEM (Engine::kMaxStreams reads open).
  struct ReadHandlers {
    std::function<void(std::uint64_t offset, std::span<const std::uint8_t> bytes)> chunk;
    std::function<void(butter_status status, std::uint64_t next_offset, const std::string& reason)> done;
    // Optional: the object's manifest (encoded, verified against the id) once the read has it,
    // before its first chunk and its done. It may cancel the read.
    std::function<void(std::span<const std::uint8_t> manifest)> located;
  };
  static constexpr std::uint32_t kDefaultReadWindow = 8;
  butter_status open_read(std::string_view id_hex, std::uint64_t offset, std::uint64_t length, std::uint32_t window,
                          std::uint32_t initial_credit, ReadHandlers handlers, std::uint64_t& read_id,
                          std::string& why);
  // BUTTER_E_NOT_FOUND once the read's done handler ran, after read_cancel, or for an unknown id.
  butter_status read_credit(std::uint64_t read_id, std::uint32_t chunks);
  butter_status read_cancel(std::uint64_t read_id);
  // What the read holds and fetched so far (peak buffered bytes, blocks per member, ...).
  std::optional<Engine::StreamReport> read_report(std::uint64_t read_id) const {
    return engine_->stream_report(read_id);
  }
  std::size_t open_reads() const { return reads_.size(); }

  // STREAMED PUT. put_begin opens a put (keywords as put; `expected` size when known), put_write
  // appends bytes (copied; hashed block by block as they fill; all or nothing: BUTTER_E_NOMEM
  // past the expected size or the free budget aborts the put), put_commit stores and replicates
  // the object as put does: the id is written to `id_out` at once, `done` is called later,
  // exactly once (status, id, replicas, reason), never from inside put_commit. What is held: the
  // bytes written so far (they become the stored copy; no second copy is made at commit).
  // put_abort drops an open put, or forgets the done of a committed one not yet answered. At
  // most kMaxOpenPuts open at once (BUTTER_E_NOMEM). An open put sets aside its expected size
  // (else what it wrote) in the budget until commit or abort; one with no write for
  // cfg_.put_idle_ms is aborted (its id then answers BUTTER_E_NOT_FOUND).
  using PutDoneFn = std::function<void(butter_status status, const std::string& id, std::uint32_t replicas,
                                       const std::string& reason)>;
  static constexpr std::size_t kMaxOpenPuts = 64;
  butter_status put_begin(std::vector<std::string> keywords, std::optional<std::uint64_t> expected,
                          std::uint64_t& put_id, std::string& why);
  butter_status put_write(std::uint64_t put_id, std::span<const std::uint8_t> bytes, std::string& why);
  butter_status put_commit(std::uint64_t put_id, PutDoneFn done, std::string& id_out, std::string& why);
  butter_status put_abort(std::uint64_t put_id);
  std::uint64_t now_ms() const { return static_cast<std::uint64_t>(now().count()); }

  // HTTP: the /storage routes and the transfers in progress (http_routes.hpp).
  void add_routes();
  std::shared_ptr<StorageRoutes> http_routes_;
  std::string list_json() const;  // GET /storage (http_listing.cpp)

 private:
  void on_net(const butter::Request& req);
  void tick();
  // Carries out sends at once; events too unless `defer_events` (a consumer's call is on the
  // stack: its callbacks must not run inside it), then they run from flush() shortly after.
  void process(Output& out, bool defer_events = false);
  void schedule_flush();
  void flush();
  void deliver_stream(Event& e);
  void deliver(Event& e);
  void start_get(std::uint64_t ticket, const Hash& id);
  // Asks butter.search/1 for holders of `id` (results come back under `ticket`); true when asked.
  bool ask_search(std::uint64_t ticket, const Hash& id);
  void on_search_result(Bytes payload);
  void sync_metrics();      // plugin_metrics.cpp
  void describe_metrics();  // plugin_metrics.cpp, once at init
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
  Persist db_;
  bool persist_ = false;
  std::string search_topic_;
  butter::Subscription search_sub_;
  std::map<std::uint64_t, std::uint32_t> search_hits_;  // get ticket -> hits so far
  // node -> endpoints given to the host (joined), so that they are given once: bounded as the
  // engine's own table (kMaxAddresses); a forgotten node's endpoints are given again when used.
  butter::BoundedLru<Hash, std::string, HashOfId> addressed_{kMaxAddresses};
  butter::Timer tick_timer_;
  // Persistence as /storage and /metrics show it: what the last start restored and quarantined,
  // where a file that was not a database went, writes that failed since.
  struct DiskState {
    std::size_t restored = 0, quarantined = 0;
    std::string renamed_corrupt_file;
    std::uint64_t write_failures = 0, reported_write_failures = 0;
    std::uint64_t last_failure_log_ms = 0, failures_since_log = 0;
  } disk_;
  // Streamed reads by id (the engine's stream id), and puts being written.
  struct OpenRead {
    ReadHandlers handlers;
    std::uint64_t delivered = 0;  // one past the last byte handed to `chunk`: where a resume starts
  };
  std::map<std::uint64_t, OpenRead> reads_;
  // Set by stop(): handlers it runs (done) cannot open reads or puts, nor schedule a flush.
  bool stopping_ = false;
  std::set<std::uint64_t> reads_to_pump_;  // credit granted since the last flush
  std::vector<Event> deferred_;            // events held back from inside a consumer's call
  butter::Timer flush_timer_;
  bool flush_scheduled_ = false;
  struct OpenPut {
    std::vector<std::string> keywords;
    std::optional<std::uint64_t> expected;
    BlockWriter writer;
    std::uint64_t aside = 0;          // bytes set aside in the budget: the expected size, or written
    std::uint64_t idle_deadline = 0;  // aborted when no write came by then (cfg_.put_idle_ms)
  };
  std::map<std::uint64_t, OpenPut> puts_;
  std::uint64_t puts_expired_ = 0;  // streamed puts aborted for idleness
  std::uint64_t reported_puts_expired_ = 0;
  // Forgets an open put and gives its reservation back.
  void drop_put(std::map<std::uint64_t, OpenPut>::iterator it);
  // Aborts open puts idle past their deadline (from tick()).
  void expire_puts(std::uint64_t now);
  Stats reported_;
  std::uint64_t send_failures_ = 0, reported_send_failures_ = 0;
};

// The static vtables this plugin serves.
const butter_storage_v1* storage_vtable();
const butter_storage_v2* storage_v2_vtable();
const butter_storage_v3* storage_v3_vtable();
const butter_storage_quota_v1* quota_vtable();

}  // namespace butter::pcg
