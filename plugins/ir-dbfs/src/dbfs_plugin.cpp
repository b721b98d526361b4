// The ir-dbfs plugin glue: config, the /butter/dbfs/1 handler, timers (the choice of neighbours is
// neighbour_choice.cpp), the local index from butter.storage/1, results on the events bus, metrics.
#include "dbfs_plugin.hpp"

#include <butter/wire.hpp>

#include <algorithm>
#include <limits>
#include <set>
#include <random>

namespace butter::dbfs {

namespace {

// Defaults and ranges are declared once, in the schema (plugin_entry.cpp): an absent key reads as
// its default, and a host of ABI 1.3 refuses a value out of range at its manifest position. The
// checks here guard the casts on a host that enforces no ranges, and keep what a schema cannot say
// (one key against another, exclusive float bounds).
// A key whose schema range is 1..max, with max in 32 bits for every key read so (get_int checks
// the range, so the cast is safe on any host).
std::uint32_t positive(const butter::Config& cfg, const char* key) {
  return static_cast<std::uint32_t>(cfg.get_int(key));
}

}  // namespace

EngineConfig DbfsPlugin::read_config() {
  auto cfg = config();
  EngineConfig c;
  const std::string method = cfg.get_string("method");
  if (!parse_method(method, c.method))
    throw butter::Error(BUTTER_E_INVALID, "method must be directed, flood or random");
  const std::string heuristic = cfg.get_string("heuristic");
  if (!parse_heuristic(heuristic, c.heuristic)) {
    throw butter::Error(BUTTER_E_INVALID, "heuristic must be results, time, hops or random");
  }
  want_neighbours_ = positive(cfg, "neighbours");
  c.max_inbound = static_cast<std::size_t>(cfg.get_int("max_inbound"));
  c.source_fanout = positive(cfg, "source_fanout");
  c.deepening = cfg.get_bool("deepening");
  c.limits.max_ttl = positive(cfg, "max_ttl");
  c.default_ttl = std::min(positive(cfg, "default_ttl"), c.limits.max_ttl);
  c.ttl_start = positive(cfg, "ttl_start");
  c.ttl_step = positive(cfg, "ttl_step");
  c.adaptive_start = cfg.get_bool("adaptive_start");
  c.limits.max_fanout = positive(cfg, "max_fanout");
  c.limits.max_terms = positive(cfg, "max_terms");
  c.limits.max_term_len = positive(cfg, "max_term_len");
  c.limits.max_query_bytes = positive(cfg, "max_query_bytes");
  c.limits.max_results = positive(cfg, "max_results");
  c.default_max_results = std::min(positive(cfg, "default_max_results"), c.limits.max_results);
  c.default_timeout_ms = positive(cfg, "default_timeout_ms");
  // Rates must be > 0, which the schema (min 0) cannot say; bursts >= 1.
  constexpr double kNoMax = std::numeric_limits<double>::infinity();
  constexpr auto kAbove = butter::Config::Open::Min;
  c.limits.rate_per_s = cfg.get_float_in("rate_per_s", 0, kNoMax, kAbove);
  c.limits.burst = cfg.get_float("burst");
  c.limits.address_rate_per_s = cfg.get_float_in("address_rate_per_s", 0, kNoMax, kAbove);
  c.limits.address_burst = cfg.get_float("address_burst");
  c.limits.prefix_rate_per_s = cfg.get_float_in("prefix_rate_per_s", 0, kNoMax, kAbove);
  c.limits.prefix_burst = cfg.get_float("prefix_burst");
  c.limits.rate_peers = positive(cfg, "rate_peers");
  c.limits.rate_addresses = positive(cfg, "rate_addresses");
  c.limits.max_budget = positive(cfg, "max_budget");
  c.limits.legacy_budget = std::min(positive(cfg, "legacy_budget"), c.limits.max_budget);
  c.limits.max_hit_messages = positive(cfg, "max_hit_messages");
  c.hop_ms = cfg.get_float_in("hop_ms", 0, 10000, butter::Config::Open::Min);
  c.min_step_ms = positive(cfg, "min_step_ms");
  c.seen_max = positive(cfg, "seen_max");
  c.seen_age_ms = positive(cfg, "seen_age_ms");
  refresh_ = std::chrono::milliseconds(positive(cfg, "refresh_ms"));
  c.max_inbound_per_address = static_cast<std::size_t>(cfg.get_int("max_inbound_per_address"));
  // Search integrity (README "Search integrity").
  c.verify = cfg.get_bool("verify");
  c.verify_in_flight = positive(cfg, "verify_in_flight");
  c.verify_queue = positive(cfg, "verify_queue");
  c.verify_timeout_ms = positive(cfg, "verify_timeout_ms");
  c.max_verifications = positive(cfg, "max_verifications");
  c.max_proofs_preparing = positive(cfg, "max_proofs_preparing");
  c.standing.demote_after = positive(cfg, "demote_after");
  c.standing.block_after = positive(cfg, "block_after");
  c.standing.block_ms = positive(cfg, "block_ms");
  c.standing.max_entries = positive(cfg, "standing_max");
  return c;
}

void DbfsPlugin::init() {
  EngineConfig c = read_config();
  const std::uint64_t index_max = positive(config(), "index_max");
  engine_ = std::make_unique<Engine>(std::string(node().id()), c, std::random_device{}() ^ now_ms());
  engine_->index() = LocalIndex(index_max);
  conns_ = butter::Connections(host());
  provide(BUTTER_IFACE_SEARCH, search_vtable());
  on(kProtocol, [this](const butter::Request& req) { on_message(req); });
  if (http().available()) add_routes();
  metrics().describe("dbfs_duplicates_total", "copies of an already seen query dropped");
  metrics().describe("dbfs_over_limit_total", "queries over a limit (TTL, size, terms, results, rate) dropped");
  metrics().describe("dbfs_malformed_total", "messages that did not decode, dropped");
  metrics().describe("dbfs_address_limited_total",
                     "queries over the rate of their sender's address or prefix, dropped");
  metrics().describe("dbfs_budget_exhausted_total",
                     "QUERY/EXTEND messages not sent: the query's message budget ran out");
  metrics().describe("dbfs_hits_dropped_total", "HITS messages not relayed: over the per-query bound");
  metrics().describe("dbfs_hits_verified_total", "hits whose holder proved them (manifest and challenged block)");
  metrics().describe("dbfs_proofs_failed_total",
                     "hits whose proof was wrong, refused or not answered in time: dropped");
  metrics().describe("dbfs_hits_unprovable_total",
                     "hits no proof exists for (names) or their holder cannot prove (too large): dropped");
  metrics().describe("dbfs_peers_blocked_total", "times a node was blocked for failing its own challenges");
}

void DbfsPlugin::start() {
  engine_->set_endpoints(node().endpoints());
  if (events().available()) {
    subs_.push_back(events().subscribe(BUTTER_STORAGE_TOPIC_STORED, [this](std::string_view, butter::Bytes id) {
      on_stored(std::string(id.text()));
    }));
    subs_.push_back(events().subscribe(BUTTER_STORAGE_TOPIC_DROPPED, [this](std::string_view, butter::Bytes id) {
      engine_->index().drop_stored(std::string(id.text()));
      index_gauge_.set(static_cast<double>(engine_->index().size()));
    }));
    subs_.push_back(events().subscribe(BUTTER_PEERS_TOPIC_ADDED,
                                       [this](std::string_view, butter::Bytes) { refresh_neighbours(true); }));
    subs_.push_back(events().subscribe(BUTTER_PEERS_TOPIC_REMOVED, [this](std::string_view, butter::Bytes id) {
      engine_->forget_neighbour(std::string(id.text()));
      refresh_neighbours(true);
    }));
  }
  watch_peers();
  refresh_neighbours(true);
  load_index();
  house_timer_ = every(refresh_, [this] { housekeeping(); });
}

void DbfsPlugin::stop() {
  tick_timer_.cancel();
  house_timer_.cancel();
  subs_.clear();
  // Searches still running end now; their consumers get a DONE.
  Actions out;
  std::vector<std::uint64_t> open;
  for (const auto& [h, p] : pending_) open.push_back(h);
  for (auto h : open) engine_->cancel(h, "stopped", out);
  for (const auto& d : out.done) {
    auto it = pending_.find(d.search);
    if (it == pending_.end()) continue;
    publish_done(it->second, d);
  }
  pending_.clear();
}

std::string DbfsPlugin::save_state() {
  SavedState st;
  for (auto& m : engine_->index().annotations()) st.annotations.emplace_back(m.object_id, std::move(m.keywords));
  st.outbound = engine_->neighbours().outbound();
  return encode_state(st);
}

void DbfsPlugin::load_state(std::string_view state) {
  std::string why;
  auto st = decode_state(state, why);
  if (!st) throw butter::Error(BUTTER_E_INVALID, "refusing the state: " + why);
  for (const auto& [id, kws] : st->annotations) engine_->index().annotate(id, kws);
  engine_->neighbours().set_outbound(st->outbound);
  log().info("state: {} annotated objects, {} neighbours carried over", st->annotations.size(), st->outbound.size());
}

void DbfsPlugin::on_message(const butter::Request& req) {
  Actions out;
  std::string why;
  const Counters before = engine_->counters();
  const std::string from(req.from());
  engine_->on_message(now_ms(), from, remote_address_of(from), req.bytes().data(), req.bytes().size(), out, &why);
  const Counters& after = engine_->counters();
  if (after.malformed != before.malformed || after.over_limit != before.over_limit) {
    log().debug("dropped a message from {}: {}", req.from().substr(0, 8), why);
  }
  execute(out);
}

std::uint64_t DbfsPlugin::start_search(const SearchSpec& spec, Pending p, std::string& why) {
  Actions out;
  p.started_ms = now_ms();
  const std::uint64_t h = engine_->start(now_ms(), spec, out, why);
  if (!h) return 0;
  pending_.emplace(h, std::move(p));
  execute(out);
  return h;
}

butter_status DbfsPlugin::find(std::string topic, std::uint64_t ticket, const SearchSpec& spec, std::string& why) {
  if (!events().available()) return why = "the host has no events bus", BUTTER_E_UNSUPPORTED;
  Pending p;
  p.topic = std::move(topic);
  p.ticket = ticket;
  return start_search(spec, std::move(p), why) ? BUTTER_OK : BUTTER_E_INVALID;
}

butter_status DbfsPlugin::annotate(const std::string& object_id, const std::vector<std::string>& keywords) {
  if (object_id.empty() || object_id.size() > kMaxTermLen) return BUTTER_E_INVALID;
  if (!engine_->index().annotate(fold_case(object_id), keywords)) return BUTTER_E_NOMEM;
  index_gauge_.set(static_cast<double>(engine_->index().size()));
  return BUTTER_OK;
}

void DbfsPlugin::execute(Actions& out) {
  Actions more;
  for (auto& s : out.sends) {
    butter::Status st = send(s.to, kProtocol, s.bytes);
    // A PROVE goes to the node the hit names; when this node has no connection to it or address
    // for it, the endpoints the hit gave are tried (the handshake proves whoever answers there:
    // a PROOF is accepted only from the named node id).
    for (std::size_t i = 0; !st && s.type == MsgType::Prove && i < s.fallback.size(); ++i)
      st = send(s.fallback[i], kProtocol, s.bytes);
    if (!st) {
      ++send_failed_;
      log().debug("send to {} failed: {}", s.to.substr(0, 8), st.message());
      if (s.type == MsgType::Prove) engine_->prove_failed(now_ms(), s.nonce, more);
    }
  }
  for (const auto& w : out.proofs_wanted) prepare_proof(w);
  for (const auto& b : out.blocked) log().info("blocked {}: its hits failed their proofs", b.substr(0, 8));
  for (const auto& u : out.unlinked) log().debug("{} has no room for our link: choosing another", u.substr(0, 8));
  if (!out.blocked.empty() || !out.unlinked.empty()) refresh_neighbours(true);
  for (const auto& h : out.hits) {
    auto it = pending_.find(h.search);
    if (it != pending_.end()) publish_hit(it->second, h);
  }
  for (const auto& d : out.done) {
    auto it = pending_.find(d.search);
    if (it == pending_.end()) continue;
    publish_done(it->second, d);
    pending_.erase(it);
  }
  sync_metrics();
  arm_timer();
  if (!more.sends.empty() || !more.hits.empty() || !more.done.empty() || !more.blocked.empty() ||
      !more.unlinked.empty())
    execute(more);
}

void DbfsPlugin::publish_hit(Pending& p, const HitEvent& h) {
  if (p.http) {
    p.http_hits.push_back(Json{{"object", h.hit.object_id},
                               {"node", h.hit.node_id},
                               {"hops", h.hops},
                               {"ms", h.at_ms - p.started_ms},
                               {"endpoints", h.hit.endpoints},
                               {"keywords", h.hit.keywords}});
    return;
  }
  wire::Writer w;
  w.u64(p.ticket);
  w.u8(BUTTER_SEARCH_RESULT_HIT);
  w.u32(static_cast<std::uint32_t>(BUTTER_OK));
  w.str16(h.hit.object_id);
  w.str16(h.hit.node_id);
  w.u16(static_cast<std::uint16_t>(h.hit.endpoints.size()));
  for (const auto& e : h.hit.endpoints) w.str16(e);
  w.u16(static_cast<std::uint16_t>(h.hit.keywords.size()));
  for (const auto& k : h.hit.keywords) w.str16(k);
  w.u8(h.hops);
  events().publish(p.topic, w.data());
}

void DbfsPlugin::publish_done(Pending& p, const DoneEvent& d) {
  if (p.http) {
    const Json done{{"reason", d.reason}, {"hits", d.hits}, {"messages", d.messages}, {"ms", now_ms() - p.started_ms}};
    p.http->json(dump_json(Json{{"hits", std::move(p.http_hits)}, {"done", done}}));
    p.http.reset();
    return;
  }
  wire::Writer w;
  w.u64(p.ticket);
  w.u8(BUTTER_SEARCH_RESULT_DONE);
  w.u32(static_cast<std::uint32_t>(BUTTER_OK));
  w.u32(d.hits);
  w.u32(d.messages);
  w.str16(d.reason);
  events().publish(p.topic, w.data());
}

void DbfsPlugin::arm_timer() {
  const std::uint64_t next = engine_->next_deadline();
  if (next == std::numeric_limits<std::uint64_t>::max()) {
    tick_timer_.cancel();
    armed_at_ = next;
    return;
  }
  if (next >= armed_at_) return;  // an earlier tick is already armed
  armed_at_ = next;
  const std::uint64_t now = now_ms();
  tick_timer_ = after(std::chrono::milliseconds(next > now ? next - now : 1), [this] {
    armed_at_ = std::numeric_limits<std::uint64_t>::max();
    on_tick();
  });
}

void DbfsPlugin::on_tick() {
  Actions out;
  engine_->tick(now_ms(), out);
  execute(out);
}

void DbfsPlugin::housekeeping() {
  on_tick();  // also expires the seen cache
  refresh_neighbours(true);
  send_links();
  if (!index_loaded_) load_index();
}

void DbfsPlugin::load_index() {
  auto storage = services().acquire<butter_storage_v1>(BUTTER_IFACE_STORAGE);
  if (!storage) return;
  engine_->index().clear_stored();
  butter_status st = storage->list(
      storage.provider(),
      [](void* user, const butter_storage_object* o) {
        auto* self = static_cast<DbfsPlugin*>(user);
        std::vector<std::string> kws;
        for (std::uint32_t i = 0; i < o->keyword_count && o->keywords; ++i) kws.push_back(copy_str(o->keywords[i]));
        self->engine_->index().add_stored(fold_case(copy_str(o->object_id)), kws);
      },
      this);
  if (st == BUTTER_OK) {
    index_loaded_ = true;
    log().info("local index: {} objects from storage", engine_->index().stored_count());
  }
  index_gauge_.set(static_cast<double>(engine_->index().size()));
}

void DbfsPlugin::on_stored(const std::string& id) {
  auto storage = services().acquire<butter_storage_v1>(BUTTER_IFACE_STORAGE);
  bool found = false;
  if (storage) {
    struct Ctx {
      DbfsPlugin* self;
      bool* found;
    } ctx{this, &found};
    storage->lookup(
        storage.provider(), butter::to_c(id),
        [](void* user, const butter_storage_object* o) {
          auto* c = static_cast<Ctx*>(user);
          std::vector<std::string> kws;
          for (std::uint32_t i = 0; i < o->keyword_count && o->keywords; ++i) kws.push_back(copy_str(o->keywords[i]));
          c->self->engine_->index().add_stored(fold_case(copy_str(o->object_id)), kws);
          *c->found = true;
        },
        &ctx);
  }
  if (!found && id.size() <= kMaxTermLen && !id.empty()) engine_->index().add_stored(fold_case(id), {});
  index_gauge_.set(static_cast<double>(engine_->index().size()));
}

void DbfsPlugin::sync_metrics() {
  static const std::pair<std::uint64_t Counters::*, const char*> kNames[] = {
      {&Counters::searches_started, "dbfs_searches_started_total"},
      {&Counters::queries_received, "dbfs_queries_received_total"},
      {&Counters::queries_forwarded, "dbfs_queries_forwarded_total"},
      {&Counters::queries_answered, "dbfs_queries_answered_total"},
      {&Counters::query_messages, "dbfs_query_messages_total"},
      {&Counters::extend_messages, "dbfs_extend_messages_total"},
      {&Counters::hit_messages, "dbfs_hit_messages_total"},
      {&Counters::hits_sent, "dbfs_hits_sent_total"},
      {&Counters::hits_relayed, "dbfs_hits_relayed_total"},
      {&Counters::hits_delivered, "dbfs_hits_total"},
      {&Counters::duplicates, "dbfs_duplicates_total"},
      {&Counters::over_limit, "dbfs_over_limit_total"},
      {&Counters::rate_limited, "dbfs_rate_limited_total"},
      {&Counters::address_limited, "dbfs_address_limited_total"},
      {&Counters::budget_clamped, "dbfs_budget_clamped_total"},
      {&Counters::legacy_queries, "dbfs_legacy_queries_total"},
      {&Counters::budget_exhausted, "dbfs_budget_exhausted_total"},
      {&Counters::hits_dropped, "dbfs_hits_dropped_total"},
      {&Counters::malformed, "dbfs_malformed_total"},
      {&Counters::unknown_query, "dbfs_unknown_query_total"},
      {&Counters::late_hits, "dbfs_late_hits_total"},
      {&Counters::widened, "dbfs_widened_total"},
      {&Counters::proves_sent, "dbfs_proves_sent_total"},
      {&Counters::hits_verified, "dbfs_hits_verified_total"},
      {&Counters::proofs_failed, "dbfs_proofs_failed_total"},
      {&Counters::hits_unprovable, "dbfs_hits_unprovable_total"},
      {&Counters::hits_unproven_keywords, "dbfs_hits_unproven_keywords_total"},
      {&Counters::hits_from_blocked, "dbfs_hits_from_blocked_total"},
      {&Counters::verify_overflow, "dbfs_verify_overflow_total"},
      {&Counters::proves_received, "dbfs_proves_received_total"},
      {&Counters::proofs_sent, "dbfs_proofs_sent_total"},
      {&Counters::proofs_refused, "dbfs_proofs_refused_total"},
      {&Counters::peers_blocked, "dbfs_peers_blocked_total"},
      {&Counters::blocked_refused, "dbfs_blocked_refused_total"},
      {&Counters::inbound_refused, "dbfs_inbound_refused_total"},
      {&Counters::unlinks_received, "dbfs_unlinks_received_total"},
      {&Counters::links_withdrawn, "dbfs_links_withdrawn_total"},
      {&Counters::inbound_disconnected, "dbfs_inbound_disconnected_total"},
  };
  const Counters& now = engine_->counters();
  for (const auto& [field, name] : kNames) metrics().counter(name).add_growth(now.*field, last_.*field);
  if (send_failed_) {
    send_failed_metric_.add(send_failed_);
    send_failed_ = 0;
  }
}

}  // namespace butter::dbfs
