// The pcg-storage plugin instance: configuration, the engine's I/O (net, timer, events,
// search, known hosts), persistence and metrics. The algorithm lives in engine.cpp.
#include <butter/cpp/json.hpp>  // butter::Json, dump_json: the HTTP answers
#include "pcg_plugin.hpp"

#include <butter/wire.hpp>

#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <limits>

namespace butter::pcg {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += e + " ";
  return s;
}

std::vector<std::uint8_t> put_done_payload(std::uint64_t ticket, const Event& e) {
  wire::Writer w;
  w.u64(ticket);
  w.u8(BUTTER_STORAGE_RESULT_PUT);
  w.u32(static_cast<std::uint32_t>(e.status));
  w.str16(e.status == BUTTER_OK ? to_hex(e.object) : std::string());
  w.u32(e.replicas);
  w.str16(e.message.substr(0, 1024));
  return w.take();
}

std::vector<std::uint8_t> get_done_payload(std::uint64_t ticket, const Event& e) {
  wire::Writer w;
  w.u64(ticket);
  w.u8(BUTTER_STORAGE_RESULT_GET);
  w.u32(static_cast<std::uint32_t>(e.status));
  w.str16(to_hex(e.object));
  w.u32(static_cast<std::uint32_t>(e.data.size()));
  w.bytes(e.data.data(), e.data.size());
  w.str16(e.message.substr(0, 1024));
  return w.take();
}

// The largest object a get answered on the events bus can carry: what the bus takes less the rest
// of a successful GET_DONE (ticket, kind, status, id, length, no message), measured on one.
std::uint64_t max_bus_get_object() {
  static const std::uint64_t max = [] {
    Event ok{EventKind::GetDone, 0, BUTTER_OK, Hash{}, 0, {}, {}};
    return BUTTER_EVENTS_MAX_PAYLOAD - get_done_payload(0, ok).size();
  }();
  return max;
}

}  // namespace

void PcgStorage::init() {
  if (!from_hex(node().id(), self_)) throw butter::Error(BUTTER_E_INTERNAL, "node id is not 64 hex digits");
  // Defaults and ranges come from the descriptor's schema (descriptor.cpp): none is written here.
  // The getters refuse a value outside the schema's range (naming key, range and value) on a host
  // that enforces none, so the casts are safe; get_float_in states the exclusive bound
  // memory_share's schema cannot.
  const butter::Config cfg = config();
  cfg_.r = static_cast<std::uint32_t>(cfg.get_int("replicas"));
  cfg_.heartbeat_ms = static_cast<std::uint64_t>(cfg.get_int("heartbeat_ms"));
  cfg_.miss_limit = static_cast<std::uint32_t>(cfg.get_int("miss_limit"));
  cfg_.block_size = static_cast<std::uint32_t>(cfg.get_int("block_size"));
  cfg_.request_timeout_ms = static_cast<std::uint64_t>(cfg.get_int("request_timeout_ms"));
  cfg_.put_timeout_ms = static_cast<std::uint64_t>(cfg.get_int("put_timeout_ms"));
  cfg_.get_timeout_ms = static_cast<std::uint64_t>(cfg.get_int("get_timeout_ms"));
  cfg_.complete_timeout_ms = static_cast<std::uint64_t>(cfg.get_int("complete_timeout_ms"));
  cfg_.min_transfer_bytes_per_s = static_cast<std::uint64_t>(cfg.get_int("min_transfer_bytes_per_s"));
  cfg_.departed_ms = static_cast<std::uint64_t>(cfg.get_int("departed_ms"));
  cfg_.audit_ms = static_cast<std::uint64_t>(cfg.get_int("audit_ms"));
  cfg_.audit_per_tick = static_cast<std::uint32_t>(cfg.get_int("audit_per_tick"));
  cfg_.answer_bytes_per_s = static_cast<std::uint64_t>(cfg.get_int("answer_bytes_per_s"));
  locate_fanout_ = static_cast<std::uint32_t>(cfg.get_int("locate_fanout"));
  cfg_.stream_per_member = static_cast<std::uint32_t>(cfg.get_int("stream_per_member"));
  cfg_.stream_idle_ms = static_cast<std::uint64_t>(cfg.get_int("stream_idle_ms"));
  cfg_.put_idle_ms = static_cast<std::uint64_t>(cfg.get_int("put_idle_ms"));
  cfg_.serve_bytes_per_s = static_cast<std::uint64_t>(cfg.get_int("serve_bytes_per_s"));
  cfg_.placement_loopback_exempt = cfg.get_bool("loopback_exempt");
  cfg_.jitter = cfg.get_float("jitter");
  const double share = cfg.get_float_in("memory_share", 0, 1, butter::Config::Open::Min);
  const std::int64_t cap = cfg.get_int("capacity_bytes");
  const std::uint64_t capacity = cap > 0
                                     ? static_cast<std::uint64_t>(cap)
                                     : static_cast<std::uint64_t>(static_cast<double>(node().memory_budget()) * share);
  cfg_.reservation_idle_ms = static_cast<std::uint64_t>(cfg.get_int("reservation_idle_ms"));
  // What all streamed reads together may buffer: an eighth of the node's memory budget (the
  // storage itself takes memory_share of it), at least two of the largest blocks.
  const std::int64_t stream_buffer = cfg.get_int("stream_buffer_bytes");
  cfg_.stream_buffer_bytes = stream_buffer > 0
                                 ? static_cast<std::uint64_t>(stream_buffer)
                                 : std::max<std::uint64_t>(node().memory_budget() / 8, 2ull * kMaxBlockSize);
  const std::int64_t quota = config().get_int("peer_quota_bytes");
  if (quota < 0 || static_cast<std::uint64_t>(quota) > capacity)
    throw butter::Error(BUTTER_E_INVALID, "peer_quota_bytes must be in 0.." + std::to_string(capacity) +
                                              " (at most the capacity; 0 = capacity / 8), got " +
                                              std::to_string(quota));
  cfg_.peer_quota_bytes = static_cast<std::uint64_t>(quota);
  tick_ms_ = std::clamp<std::uint64_t>(cfg_.heartbeat_ms / 5, 10, 100);

  const std::string dir(node().data_dir());
  persist_ = config().get_bool("persist", !dir.empty());
  if (persist_ && dir.empty()) {
    throw butter::Error(BUTTER_E_INVALID, "persist = true needs a node data_dir");
  }
  net_ = static_cast<const butter_net_v1*>(host()->get_extension(host(), BUTTER_EXT_NET));
  engine_ = std::make_unique<Engine>(self_, std::vector<std::string>{}, cfg_, capacity, *this);
  if (persist_) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string path = (std::filesystem::path(dir) / "pcg.sqlite").string();
    std::string why;
    if (!db_.open(path, why, &disk_.renamed_corrupt_file))
      throw butter::Error(BUTTER_E_INVALID, "cannot open " + path + ": " + why);
    if (!disk_.renamed_corrupt_file.empty())
      log().error(
          "pcg-storage: {} was not a readable database ({}); it was renamed to {} and an empty one started. "
          "Objects it held are not served by this node until recovered from that file or from their groups",
          path, why, disk_.renamed_corrupt_file);
  }

  provide(BUTTER_IFACE_STORAGE, storage_vtable());
  provide(BUTTER_IFACE_STORAGE_V2, storage_v2_vtable());
  provide(BUTTER_IFACE_STORAGE_V3, storage_v3_vtable());
  provide(BUTTER_IFACE_STORAGE_QUOTA, quota_vtable());
  on(kProtocol, [this](const butter::Request& req, butter::Reply& reply) {
    if (req.expects_reply()) reply.fail(BUTTER_E_INVALID, "/butter/pcg/1 messages are one-way");
    on_net(req);
  });
  if (events().available()) {
    search_topic_ = std::string(descriptor()->id) + "/" + std::to_string(rng_()) + ":search";
    search_sub_ =
        events().subscribe(search_topic_, [this](std::string_view, Bytes payload) { on_search_result(payload); });
  }
  if (http().available()) add_routes();
  describe_metrics();
  log().info("pcg-storage: r={} heartbeat={}ms capacity={} bytes peer quota={} bytes persistence={}", cfg_.r,
             cfg_.heartbeat_ms, capacity, engine_->quota().limit(), persist_ ? "on" : "off");
}

void PcgStorage::start() {
  engine_->set_endpoints(node().endpoints());
  restore_from_disk();
  tick_timer_ = every(std::chrono::milliseconds(tick_ms_), [this] { tick(); });
  sync_metrics();
}

void PcgStorage::restore_from_disk() {
  if (!db_.is_open()) return;
  const RestoreReport r = restore_all(db_, *engine_, now_ms());
  for (const auto& id : r.restored_ids)
    if (events().available()) events().publish(BUTTER_STORAGE_TOPIC_STORED, to_hex(id));
  for (const auto& q : r.quarantined)
    log().error("persisted object {} quarantined (kept on disk): {}", q.id.substr(0, 16), q.reason);
  disk_.restored = r.restored;
  disk_.quarantined = r.quarantined.size();
  if (r.restored || !r.quarantined.empty())
    log().info("restored {} of {} persisted objects, {} quarantined{}", r.restored, r.restored + r.quarantined.size(),
               r.quarantined.size(),
               r.marks_failed ? " (" + std::to_string(r.marks_failed) + " marks not written)" : "");
  if (r.over_capacity_bytes)
    log().warn(
        "stored data exceeds capacity_bytes by {} bytes: all of it is kept and served, new data is refused "
        "until usage falls under {} bytes",
        r.over_capacity_bytes, engine_->budget().capacity());
}

butter_status PcgStorage::store_durably(const Hash& id, const std::vector<std::uint8_t>& manifest,
                                        const std::vector<std::vector<std::uint8_t>>& blocks, const View& view,
                                        std::string& why) {
  if (!db_.is_open()) return BUTTER_OK;
  const butter_status st = db_.save_object(id, manifest, blocks, view, why);
  if (st == BUTTER_OK) return st;
  ++disk_.write_failures;
  why = "not stored: " + why;
  // A full disk refuses every put and recruit: one line per 5 s with the count, not one each.
  ++disk_.failures_since_log;
  if (disk_.last_failure_log_ms == 0 || now_ms() >= disk_.last_failure_log_ms + 5000) {
    log().warn("cannot persist {}: {} ({} write failures in this interval)", to_hex(id).substr(0, 8), why,
               disk_.failures_since_log);
    disk_.last_failure_log_ms = std::max<std::uint64_t>(1, now_ms());
    disk_.failures_since_log = 0;
  }
  return st;
}

// --- engine I/O ---------------------------------------------------------------------------------

void PcgStorage::on_net(const butter::Request& req) {
  Hash from{};
  if (!from_hex(req.from(), from)) return;
  Output out;
  engine_->on_message(from, req.bytes().span(), now_ms(), out);
  process(out);
}

void PcgStorage::tick() {
  Output out;
  engine_->tick(now_ms(), out);
  process(out);
  expire_puts(now_ms());
}

void PcgStorage::process(Output& out, bool defer_events) {
  for (auto& s : out.sends) {
    const std::string to = to_hex(s.to);
    if (!s.endpoints.empty() && net_ && net_->add_address) {
      const std::string key = join(s.endpoints);
      auto& known = addressed_.get_or_insert(s.to, [] { return std::string(); });
      if (known != key) {
        for (const auto& ep : s.endpoints) add_address(to, ep);
        known = key;
      }
    }
    butter::Status st = send(to, kProtocol, Bytes(s.bytes));
    if (!st) {
      ++send_failures_;
      log().debug("send {} to {}: {}", type_name(s.type), to.substr(0, 8), st.message());
    }
  }
  if (defer_events) {
    for (auto& e : out.events) deferred_.push_back(std::move(e));
    if (!out.events.empty()) schedule_flush();
  } else {
    for (auto& e : out.events) deliver(e);
  }
  sync_metrics();
}

void PcgStorage::deliver(Event& e) {
  switch (e.kind) {
    case EventKind::Stored: {
      // Already on disk: the engine reports Stored only after store_durably succeeded.
      if (events().available()) events().publish(BUTTER_STORAGE_TOPIC_STORED, to_hex(e.object));
      return;
    }
    case EventKind::Dropped: {
      std::string why;
      if (db_.is_open() && !db_.remove(e.object, why))
        log().warn("cannot unpersist {}: {}", to_hex(e.object).substr(0, 8), why);
      if (events().available()) events().publish(BUTTER_STORAGE_TOPIC_DROPPED, to_hex(e.object));
      return;
    }
    case EventKind::ViewChanged: {
      std::string why;
      const auto* view = engine_->view_of(e.object);
      if (db_.is_open() && view && engine_->holds(e.object) && !db_.save_view(e.object, *view, why))
        log().warn("cannot persist the view of {}: {}", to_hex(e.object).substr(0, 8), why);
      return;
    }
    case EventKind::StreamChunk:
    case EventKind::StreamDone:
    case EventKind::StreamLocated:
      deliver_stream(e);
      return;
    case EventKind::PutDone:
    case EventKind::GetDone:
      break;
  }
  search_hits_.erase(e.ticket);
  auto it = pending_.find(e.ticket);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.callback) {
    p.callback(e);
    return;
  }
  if (p.http) {
    auto& res = *p.http;
    if (e.kind == EventKind::PutDone) {
      res.status(e.status == BUTTER_OK ? 201 : 502)
          .json(dump_json({{"id", to_hex(e.object)}, {"replicas", e.replicas}, {"message", e.message}}));
    } else if (e.status == BUTTER_OK) {
      res.send("application/octet-stream", Bytes(e.data));
    } else {
      const int code = e.status == BUTTER_E_NOT_FOUND ? 404 : e.status == BUTTER_E_TIMEOUT ? 504 : 502;
      res.status(code).text(std::string(status_name(e.status)) + ": " + e.message + "\n");
    }
    return;
  }
  if (!events().available() || p.topic.empty()) return;
  auto payload = e.kind == EventKind::PutDone ? put_done_payload(p.ticket, e) : get_done_payload(p.ticket, e);
  if (e.kind == EventKind::GetDone && payload.size() > BUTTER_EVENTS_MAX_PAYLOAD) {
    // The bus refuses payloads over its limit (ext/events.h): the object cannot travel inline, so
    // the ticket fails with a reason the caller receives instead of silently never completing.
    const std::size_t n = e.data.size();
    e.status = BUTTER_E_NOMEM;
    e.message = "object of " + std::to_string(n) + " bytes exceeds the events bus limit (" +
                std::to_string(BUTTER_EVENTS_MAX_PAYLOAD) +
                " bytes per result); read it as a stream (" BUTTER_IFACE_STORAGE_V3
                " open_read, or HTTP GET /storage/<id>)";
    e.data.clear();
    log().warn("pcg-storage: get {} for {}: {}", to_hex(e.object).substr(0, 8), p.topic, e.message);
    payload = get_done_payload(p.ticket, e);
  }
  const butter::Status st = events().publish(p.topic, Bytes(payload));
  if (!st)
    log().warn("pcg-storage: the result of ticket {} on {} was refused by the events bus: {}", p.ticket, p.topic,
               st.message());
}

// --- calls --------------------------------------------------------------------------------------

butter_status PcgStorage::put(Pending& who, Bytes data, std::vector<std::string> keywords, std::string& id_out,
                              std::string& why) {
  const std::uint64_t ticket = next_ticket_++;
  Output out;
  Hash id{};
  const butter_status st = engine_->put(ticket, data.span(), keywords, now_ms(), id, why, out);
  if (st != BUTTER_OK) {
    sync_metrics();
    return st;
  }
  id_out = to_hex(id);
  pending_.emplace(ticket, std::move(who));
  process(out);
  return BUTTER_OK;
}

butter_status PcgStorage::get(Pending& who, std::string_view id_hex, std::string& why) {
  Hash id{};
  if (!from_hex(id_hex, id)) {
    why = "an object id is 64 hex digits";
    return BUTTER_E_INVALID;
  }
  const std::uint64_t ticket = next_ticket_++;
  pending_.emplace(ticket, std::move(who));
  start_get(ticket, id);
  return BUTTER_OK;
}

void PcgStorage::start_get(std::uint64_t ticket, const Hash& id) {
  Output out;
  // The known hosts are asked at once; the search plugin, when present, adds the holders it
  // finds (HITs), and its DONE closes the candidate list.
  const bool searching = ask_search(ticket, id);
  // The result travels on the events bus (every get has a reply topic): an object it cannot carry
  // fails the get once its manifest is known, instead of being fetched whole and then refused.
  engine_->get(ticket, id, engine_->holds(id) ? std::vector<Candidate>{} : known_hosts(locate_fanout_), searching,
               now_ms(), out, max_bus_get_object());
  process(out);
}

bool PcgStorage::ask_search(std::uint64_t ticket, const Hash& id) {
  bool searching = false;
  if (!engine_->holds(id) && !search_topic_.empty()) {
    if (auto search = services().acquire<butter_search_v1>(BUTTER_IFACE_SEARCH)) {
      const std::string hex = to_hex(id);
      butter_str term{hex.data(), hex.size()};
      butter_search_query q{};
      q.struct_size = sizeof q;
      q.kind = BUTTER_SEARCH_BY_OBJECT;
      q.term_count = 1;
      q.terms = &term;
      q.max_results = cfg_.r * 2;
      q.timeout_ms = static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg_.get_timeout_ms / 2, 0xffffffffu));
      butter_reply_to reply{sizeof(butter_reply_to), {search_topic_.data(), search_topic_.size()}, ticket};
      butter_error err;
      butter_error_init(&err);
      if (search->find(search.provider(), &reply, &q, &err) == BUTTER_OK) {
        searching = true;
        search_hits_[ticket] = 0;
      } else {
        log().debug("search refused: {}", err.message);
      }
    }
  }
  return searching;
}

void PcgStorage::on_search_result(Bytes payload) {
  wire::Reader r(payload.data(), payload.size());
  const std::uint64_t ticket = r.u64();
  const std::uint8_t kind = r.u8();
  const auto status = static_cast<std::int32_t>(r.u32());
  const bool stream = engine_->stream_pending(ticket);
  if (!r.ok() || (!engine_->get_pending(ticket) && !stream)) return;
  Output out;
  if (kind == BUTTER_SEARCH_RESULT_HIT && status == BUTTER_OK) {
    r.str16();  // object id
    auto node_hex = r.str16();
    const std::uint16_t n = r.u16();
    Candidate c;
    if (!r.ok() || !from_hex(node_hex, c.id)) return;
    for (std::uint16_t i = 0; i < n && i < kMaxEndpoints; ++i) {
      auto ep = r.str16(kMaxEndpointLen);
      if (r.ok()) c.endpoints.emplace_back(ep);
    }
    ++search_hits_[ticket];
    metrics().counter("pcg_search_hits_total").add();
    if (stream) {
      engine_->stream_add_candidates(ticket, {c}, true, now_ms(), out);
    } else {
      engine_->add_get_candidates(ticket, {c}, true, now_ms(), out);
    }
  } else if (kind == BUTTER_SEARCH_RESULT_DONE) {
    search_hits_.erase(ticket);
    if (stream) {
      engine_->stream_add_candidates(ticket, {}, false, now_ms(), out);
    } else {
      engine_->add_get_candidates(ticket, {}, false, now_ms(), out);
    }
  }
  process(out);
}

// --- known hosts --------------------------------------------------------------------------------

std::vector<Candidate> PcgStorage::known_hosts(std::size_t k) {
  std::vector<Candidate> out;
  if (auto peers = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS)) {
    struct Ctx {
      std::vector<Candidate>* out;
      const Hash* self;
    } ctx{&out, &self_};
    peers->sample(
        peers.provider(), static_cast<std::uint32_t>(k),
        [](void* user, const butter_peer_record* rec) {
          auto* c = static_cast<Ctx*>(user);
          Candidate cand;
          if (!rec || !from_hex(to_sv(rec->node_id), cand.id) || cand.id == *c->self) return;
          for (std::uint32_t i = 0; i < rec->endpoint_count && rec->endpoints && i < kMaxEndpoints; ++i) {
            std::string_view e = to_sv(rec->endpoints[i]);
            if (e.size() <= kMaxEndpointLen) cand.endpoints.emplace_back(e);
          }
          cand.quality_class = rec->quality_class;
          c->out->push_back(std::move(cand));
        },
        &ctx);
  }
  // Connected peers too (a node that only bootstrapped may know nobody else yet).
  if (!net_ || !net_->peer_count || !net_->peer) return out;
  for (const auto& p : peers()) {
    if (out.size() >= k * 2) break;
    Candidate c;
    if (!from_hex(p.node_id, c.id) || c.id == self_) continue;
    if (std::any_of(out.begin(), out.end(), [&](const Candidate& o) { return o.id == c.id; })) continue;
    for (const auto& e : p.endpoints)
      if (e.size() <= kMaxEndpointLen && c.endpoints.size() < kMaxEndpoints) c.endpoints.push_back(e);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Candidate> PcgStorage::candidates(std::size_t k) { return known_hosts(k); }

std::uint64_t PcgStorage::nonce() {
  std::uint64_t v = 0;
  randombytes_buf(&v, sizeof v);
  return v;
}

std::string PcgStorage::observed_address(const Hash& id) {
  // One lookup by id (butter.net.peer_lookup/1; a walk of the peer list on an older host): only
  // connected peers have an observed address.
  if (!net_ || !net_->peer_count || !net_->peer) return {};
  auto p = peer(to_hex(id));
  return p ? std::move(p->remote_address) : std::string();
}

}  // namespace butter::pcg
