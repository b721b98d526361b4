// HTTP routes of ir-dbfs on the node's endpoint, for humans and tests:
//   GET  /search?object=<id> | ?q=kw1+kw2 [&max=N][&ttl=T][&timeout_ms=M]  -> JSON hits + done
//   POST /search/annotate?object=<id>&keywords=kw1+kw2                     -> {"ok":true}
//   GET  /search/status                                                    -> neighbours, index, counters
#include "dbfs_plugin.hpp"

#include <charconv>

namespace butter::dbfs {

namespace {

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == ',') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// A non-negative integer query parameter; false when present but not a number.
bool uint_param(const butter::HttpRequest& req, const char* name, std::uint32_t& out) {
  auto v = req.query_param(name);
  if (!v) return true;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  return ec == std::errc() && p == v->data() + v->size();
}

}  // namespace

void DbfsPlugin::add_routes() {
  http().get("/search", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
    SearchSpec spec;
    if (auto obj = req.query_param("object")) {
      spec.kind = QueryKind::Object;
      spec.terms = {*obj};
    } else if (auto q = req.query_param("q")) {
      spec.kind = QueryKind::Keywords;
      spec.terms = split_words(*q);
    } else {
      res.status(400).json(dump_json({{"error", "give object=<id> or q=<keywords>"}}));
      return;
    }
    std::uint32_t timeout = 0;
    if (!uint_param(req, "max", spec.max_results) || !uint_param(req, "ttl", spec.ttl) ||
        !uint_param(req, "timeout_ms", timeout)) {
      res.status(400).json(dump_json({{"error", "max, ttl and timeout_ms are numbers"}}));
      return;
    }
    spec.timeout_ms = timeout;
    Pending p;
    p.http.emplace(std::move(res));
    std::string why;
    // The response moved into p; when the search is refused, p (and the response) come back.
    Actions out;
    p.started_ms = now_ms();
    const std::uint64_t h = engine_->start(now_ms(), spec, out, why);
    if (!h) {
      p.http->status(400).json(dump_json({{"error", why}}));
      return;
    }
    pending_.emplace(h, std::move(p));
    execute(out);
  });
  http().post("/search/annotate", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
    auto obj = req.query_param("object");
    if (!obj || obj->empty()) {
      res.status(400).json(dump_json({{"error", "give object=<id>"}}));
      return;
    }
    auto kws = split_words(req.query_param("keywords").value_or(""));
    butter_status st = annotate(*obj, kws);
    if (st != BUTTER_OK) {
      res.status(st == BUTTER_E_NOMEM ? 507 : 400).json(dump_json({{"error", butter::status_name(st)}}));
      return;
    }
    res.json(dump_json({{"ok", true}}));
  });
  http().get("/search/status",
             [this](const butter::HttpRequest&, butter::HttpResponse& res) { res.json(dump_json(status_json())); });
}

Json DbfsPlugin::blocked_json() { return engine_->standing().blocked_ids(now_ms()); }

// Neighbours this node ranks last for failed proofs (blocked ones are no neighbours any more).
Json DbfsPlugin::demoted_json() {
  Json out = Json::array();
  for (const auto& n : engine_->neighbours().all(now_ms()))
    if (engine_->standing().demoted(n, now_ms())) out.push_back(n);
  return out;
}

Json DbfsPlugin::status_json() {
  const auto& c = engine_->counters();
  Json neighbours = Json::array();
  for (const auto& n : engine_->neighbours().all(now_ms())) {
    const NeighbourRecord* r = engine_->stats().find(n);
    neighbours.push_back(Json{{"id", n},
                              {"sent", r ? r->sent : 0.0},
                              {"results", r ? r->results : 0.0},
                              {"first_ms", r ? r->first_ms : 0.0}});
  }
  const auto& outbound = engine_->neighbours().outbound();
  return {{"method", method_name(engine_->config().method)},
          {"heuristic", heuristic_name(engine_->config().heuristic)},
          {"hop_estimate_ms", engine_->hop_estimate_ms()},
          {"index_objects", engine_->index().size()},
          {"index_stored", engine_->index().stored_count()},
          {"neighbours", std::move(neighbours)},
          {"outbound_ids", outbound},
          {"outbound", outbound.size()},
          {"inbound", engine_->neighbours().inbound_count(now_ms())},  // peers that chose this node
          {"inbound_disconnected", c.inbound_disconnected},
          {"searches_started", c.searches_started},
          {"queries_received", c.queries_received},
          {"query_messages", c.query_messages},
          {"duplicates", c.duplicates},
          {"over_limit", c.over_limit},
          {"malformed", c.malformed},
          {"rate_limited", c.rate_limited},
          {"address_limited", c.address_limited},
          {"budget_exhausted", c.budget_exhausted},
          {"hits_dropped", c.hits_dropped},
          {"verify", engine_->config().verify},
          {"verifications", engine_->verifications()},
          {"hits_verified", c.hits_verified},
          {"proofs_failed", c.proofs_failed},
          {"blocked", blocked_json()},
          {"demoted", demoted_json()},
          {"limiter",
           {{"peers", engine_->limiter().peers()},
            {"addresses", engine_->limiter().addresses()},
            {"prefixes", engine_->limiter().prefixes()}}}};
}

}  // namespace butter::dbfs
