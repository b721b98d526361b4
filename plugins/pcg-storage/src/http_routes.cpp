// HTTP routes for humans, tests and the `butter put/get/cat` commands:
//   GET  /storage          what this node holds (JSON), with each group's view and proven holders,
//                          and the possession counters
//   POST /storage          stores the body, streamed in (butter.http/2): any size up to the free
//                          storage budget; ?keywords=a,b  ?wait=0 answers with the id at once
//                          (201 {"id","replicas","message"} once stored on this node's disk;
//                          507 beyond the budget or disk full; 500 disk write failed; 400 bad input)
//   GET  /storage/<id>     the object's bytes (verified). Held here: streamed out with
//                          Content-Length, ETag "<id>", Accept-Ranges and `Range: bytes=a-b`
//                          (206 + Content-Range; 416 out of range). Else fetched from its group
//                          and answered whole (404 nobody reachable holds it, 504 timeout)
//   GET  /storage/<id>/manifest  the manifest the id is the SHA-256 of (iface/storage2.h), for a
//                          reader to verify blocks; held objects only (404 otherwise)
//   (400 bad id everywhere)
// The two glue functions put_streamed_body and stream_held_object are where these routes meet the
// engine; they are what changes when the engine reads and writes streams itself.
#include "pcg_plugin.hpp"

#include <map>

namespace butter::pcg {

// A streamed put being received, or a held object being streamed out.
struct PcgStorage::HttpTransfers {
  struct Upload {
    std::vector<std::string> keywords;
    bool wait = true;
    std::vector<std::uint8_t> data;
  };
  struct Download {
    Hash id{};
    std::uint64_t next = 0, end = 0;  // bytes [next, end) still to write
  };
  std::map<std::uint64_t, Upload> uploads;
  std::map<std::uint64_t, Download> downloads;
};

namespace {

constexpr std::size_t kWritePiece = 256 * 1024;  // bytes per write of a streamed GET

std::vector<std::string> keywords_of(const butter::HttpRequest& req) {
  std::vector<std::string> keywords;
  if (auto k = req.query_param("keywords")) {
    std::string_view rest = *k;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view word = rest.substr(0, comma);
      if (!word.empty()) keywords.emplace_back(word);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return keywords;
}

// A byte range of an object of `size` bytes, from a Range header. nullopt: serve the whole object
// (no header, another unit, several ranges, or syntax we ignore as RFC 9110 allows); `unsatisfiable`
// when the range lies beyond the end (416).
struct ByteRange {
  std::uint64_t first = 0, last = 0;  // inclusive
  bool unsatisfiable = false;
};

std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size) {
  constexpr std::string_view unit = "bytes=";
  if (header.substr(0, unit.size()) != unit) return std::nullopt;
  std::string_view spec = header.substr(unit.size());
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  ByteRange r;
  if (a.empty()) {  // "-n": the last n bytes
    auto n = number(b);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) return ByteRange{0, 0, true};
    r.first = size - std::min(*n, size);
    r.last = size - 1;
    return r;
  }
  auto first = number(a);
  if (!first) return std::nullopt;
  std::optional<std::uint64_t> last = b.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : number(b);
  if (!last || *last < *first) return std::nullopt;
  if (*first >= size) return ByteRange{0, 0, true};
  r.first = *first;
  r.last = std::min(*last, size - 1);
  return r;
}

}  // namespace


// Proof of possession, as counters since start: "possession":{challenges_sent, proofs_passed,
// proofs_failed, proof_timeouts, challenges_answered, challenges_refused}.
std::string PcgStorage::possession_json() const {
  const Stats& s = engine_->stats();
  return "\"possession\":{\"challenges_sent\":" + std::to_string(s.challenges_sent) +
         ",\"proofs_passed\":" + std::to_string(s.proofs_passed) + ",\"proofs_failed\":" + std::to_string(s.proofs_failed) +
         ",\"proof_timeouts\":" + std::to_string(s.proof_timeouts) +
         ",\"challenges_answered\":" + std::to_string(s.challenges_answered) +
         ",\"challenges_refused\":" + std::to_string(s.challenges_refused) + "}";
}

std::string PcgStorage::list_json() const {
  std::string s = "{\"node\":\"" + to_hex(self_) + "\",\"replicas\":" + std::to_string(cfg_.r) +
                  ",\"used_bytes\":" + std::to_string(engine_->budget().used()) +
                  ",\"capacity_bytes\":" + std::to_string(engine_->budget().capacity()) +
                  ",\"over_capacity\":" + (engine_->budget().over_capacity() ? "true" : "false") +
                  ",\"groups_below_r\":" + std::to_string(engine_->groups_below_r()) +
                  ",\"peer_quota_bytes\":" + std::to_string(engine_->quota().limit()) +
                  ",\"refused\":{\"non_member_messages\":" + std::to_string(engine_->stats().non_member_messages) +
                  ",\"non_member_recruits\":" + std::to_string(engine_->stats().non_member_recruits) +
                  ",\"recruits_over_quota\":" + std::to_string(engine_->stats().recruits_over_quota) +
                  ",\"reservations_expired\":" + std::to_string(engine_->stats().reservations_expired) + "}" +
                  ",\"retiring\":" + std::to_string(engine_->retiring_count()) +
                  ",\"persistence\":{\"enabled\":" + (db_.is_open() ? "true" : "false") +
                  ",\"restored\":" + std::to_string(disk_.restored) + ",\"quarantined\":" +
                  std::to_string(disk_.quarantined) + ",\"write_failures\":" + std::to_string(disk_.write_failures) +
                  ",\"renamed_corrupt_file\":" + butter::json_string(disk_.renamed_corrupt_file) + "}," + possession_json() +
                  ",\"objects\":[";
  bool first = true;
  for (const auto& o : engine_->list()) {
    s += first ? "" : ",";
    first = false;
    const View* v = engine_->view_of(o.id);
    auto lead = engine_->leader_of(o.id, now_ms());
    s += "{\"id\":\"" + to_hex(o.id) + "\",\"size\":" + std::to_string(o.size) +
         ",\"group_size\":" + std::to_string(o.group_size) + ",\"version\":" + std::to_string(v ? v->version : 0) +
         ",\"leader\":\"" + (lead ? to_hex(*lead) : std::string()) +
         "\",\"member\":" + (engine_->is_member(o.id) ? "true" : "false") + ",\"members\":[";
    for (std::size_t i = 0; v && i < v->members.size(); ++i) s += (i ? ",\"" : "\"") + to_hex(v->members[i].id) + "\"";
    // The members this node counts as holding it: those that proved it (possession.hpp).
    s += "],\"proven\":[";
    const auto proven = engine_->proven_members(o.id);
    for (std::size_t i = 0; i < proven.size(); ++i) s += (i ? ",\"" : "\"") + to_hex(proven[i]) + "\"";
    s += "],\"keywords\":[";
    for (std::size_t i = 0; i < o.keywords.size(); ++i) s += (i ? "," : "") + butter::json_string(o.keywords[i]);
    s += "]}";
  }
  return s + "]}";
}

// Glue, put direction: the streamed body, accumulated (bounded by the free budget as it arrives),
// goes to the existing whole-object put. Answers through `stream` (whole, as v1 routes do).
static void put_streamed_body(PcgStorage& self, butter::HttpStream stream, PcgStorage::HttpTransfers::Upload up) {
  PcgStorage::Pending who;
  butter::HttpResponse res = stream.response();
  if (up.wait) who.http.emplace(std::move(res));
  std::string id, why;
  const butter_status st = self.put(who, Bytes(up.data), std::move(up.keywords), id, why);
  butter::HttpResponse& answer = up.wait ? *who.http : res;  // still ours unless the put is pending
  if (st != BUTTER_OK) {
    // 507 when out of room (budget or disk), 400 for bad input, 500 for a failed disk write.
    answer.status(st == BUTTER_E_NOMEM ? 507 : st == BUTTER_E_INVALID ? 400 : 500)
        .text(std::string(status_name(st)) + ": " + why + "\n");
    return;
  }
  if (!up.wait) res.status(202).json("{\"id\":\"" + id + "\"}");
}

// Glue, get direction: writes bytes [next, end) of a held object from the engine's blocks until the
// window is full (`writable` calls again) or the range is done. false when the object is no
// longer held whole (the caller aborts: the client sees a cut body, never wrong bytes).
static bool stream_held_object(const Engine& engine, butter::HttpStream stream, PcgStorage::HttpTransfers::Download& d,
                               bool& finished) {
  finished = false;
  const auto* blocks = engine.holds(d.id) ? engine.blocks_of(d.id) : nullptr;
  if (!blocks || blocks->empty()) {
    if (d.next < d.end) return false;
  }
  std::string piece;
  while (d.next < d.end) {
    // The block holding d.next: blocks are the manifest's fixed-size pieces, the last may be short.
    const std::uint64_t block_size = (*blocks)[0].size();
    const std::size_t index = static_cast<std::size_t>(d.next / block_size);
    if (index >= blocks->size()) return false;
    const auto& block = (*blocks)[index];
    const std::uint64_t from = d.next - index * block_size;
    if (from >= block.size()) return false;
    const std::uint64_t n = std::min<std::uint64_t>({block.size() - from, d.end - d.next, kWritePiece});
    const auto st = stream.write(Bytes(block.data() + from, static_cast<std::size_t>(n)));
    if (st.code() == BUTTER_E_AGAIN) return true;
    if (!st.ok()) return false;
    d.next += n;
  }
  finished = true;
  return true;
}

void PcgStorage::add_routes() {
  // The engine's own words (budget.cpp) for a put refused before it reaches the engine.
  auto over_budget = [this](std::uint64_t needed) {
    return "BUTTER_E_NOMEM: storage budget exceeded: needs " + std::to_string(needed) + " bytes, " +
           std::to_string(engine_->budget().free()) + " of " + std::to_string(engine_->budget().capacity()) + " free\n";
  };
  http_transfers_ = std::make_shared<HttpTransfers>();
  http().get("/storage", [this](const butter::HttpRequest&, butter::HttpResponse& res) { res.json(list_json()); });
  if (!http().streams_available()) {
    // A host without butter.http/2: whole bodies both ways, as before streams.
    log().warn("pcg-storage: the host has no " BUTTER_EXT_HTTP_V2 "; POST /storage takes at most the node's body limit");
    http().post("/storage", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
      Pending who;
      const bool wait = req.query_param("wait").value_or("1") != "0";
      if (wait) who.http.emplace(std::move(res));
      std::string id, why;
      const butter_status st = put(who, req.body_bytes(), keywords_of(req), id, why);
      butter::HttpResponse& answer = wait ? *who.http : res;
      if (st != BUTTER_OK) {
        answer.status(st == BUTTER_E_NOMEM ? 507 : st == BUTTER_E_INVALID ? 400 : 500).text(std::string(status_name(st)) + ": " + why + "\n");
        return;
      }
      if (!wait) res.status(202).json("{\"id\":\"" + id + "\"}");
    });
    http().get(
        "/storage/",
        [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
          Pending who;
          who.http.emplace(std::move(res));
          std::string why;
          if (get(who, req.path().substr(std::string_view("/storage/").size()), why) != BUTTER_OK)
            who.http->status(400).text("BUTTER_E_INVALID: " + why + "\n");
        },
        butter::Match::Prefix);
    return;
  }

  butter::StreamHandlers put_route;
  put_route.on_request = [this, over_budget](const butter::HttpRequest& req, butter::HttpStream s) {
    HttpTransfers::Upload up;
    up.keywords = keywords_of(req);
    up.wait = req.query_param("wait").value_or("1") != "0";
    // A declared length over the free budget is refused before a byte is read.
    if (auto len = req.header("Content-Length")) {
      auto n = number(*len);
      if (n && *n > engine_->budget().free()) return void(s.respond(507, "text/plain; charset=utf-8", over_budget(*n)));
      if (n) up.data.reserve(static_cast<std::size_t>(*n));
    }
    http_transfers_->uploads.emplace(s.token(), std::move(up));
    s.read_body();
  };
  put_route.on_body = [this, over_budget](butter::HttpStream s, Bytes chunk, bool last) {
    auto it = http_transfers_->uploads.find(s.token());
    if (it == http_transfers_->uploads.end()) return;
    auto& data = it->second.data;
    if (data.size() + chunk.size() > engine_->budget().free()) {
      const std::uint64_t needed = data.size() + chunk.size();
      http_transfers_->uploads.erase(it);
      return void(s.respond(507, "text/plain; charset=utf-8", over_budget(needed)));
    }
    data.insert(data.end(), chunk.data(), chunk.data() + chunk.size());
    if (!last) return void(s.read_body());
    auto up = std::move(it->second);
    http_transfers_->uploads.erase(it);
    put_streamed_body(*this, s, std::move(up));
  };
  put_route.on_closed = [this](butter::HttpStream s, std::string_view) { http_transfers_->uploads.erase(s.token()); };
  http().stream("POST", "/storage", std::move(put_route), {true, BUTTER_HTTP_UNLIMITED});

  butter::StreamHandlers get_route;
  get_route.on_request = [this](const butter::HttpRequest& req, butter::HttpStream s) {
    std::string_view rest = req.path().substr(std::string_view("/storage/").size());
    const bool want_manifest = rest.size() > 64 && rest.substr(64) == "/manifest";
    std::string_view id_hex = want_manifest ? rest.substr(0, 64) : rest;
    Hash id{};
    if (!from_hex(id_hex, id)) {
      s.respond(400, "text/plain; charset=utf-8", "BUTTER_E_INVALID: an object id is 64 hex digits\n");
      return;
    }
    const std::string etag = "\"" + to_hex(id) + "\"";
    const auto* manifest = engine_->holds(id) ? engine_->manifest_of(id) : nullptr;
    const auto info = manifest ? engine_->lookup(id) : std::nullopt;
    if (want_manifest) {
      if (!manifest) return void(s.respond(404, "text/plain; charset=utf-8", "BUTTER_E_NOT_FOUND: not held on this node\n"));
      s.respond(200, "application/octet-stream", Bytes(*manifest), {{"ETag", etag}});
      return;
    }
    if (!info || !engine_->blocks_of(id)) {
      // Not held here whole: today's whole-object get from the group.
      Pending who;
      butter::HttpResponse res = s.response();
      res.header("ETag", etag);
      who.http.emplace(std::move(res));
      std::string why;
      if (get(who, id_hex, why) != BUTTER_OK) who.http->status(400).text("BUTTER_E_INVALID: " + why + "\n");
      return;
    }
    const std::uint64_t size = info->size;
    HttpTransfers::Download d{id, 0, size};
    std::vector<std::pair<std::string, std::string>> headers{{"ETag", etag}, {"Accept-Ranges", "bytes"}};
    int status = 200;
    if (auto h = req.header("Range")) {
      if (auto r = parse_range(*h, size)) {
        if (r->unsatisfiable) {
          s.respond(416, "text/plain; charset=utf-8", "range not satisfiable: the object has " + std::to_string(size) + " bytes\n",
                    {{"Content-Range", "bytes */" + std::to_string(size)}, {"ETag", etag}});
          return;
        }
        status = 206;
        d.next = r->first;
        d.end = r->last + 1;
        headers.emplace_back("Content-Range", "bytes " + std::to_string(r->first) + "-" + std::to_string(r->last) + "/" +
                                                  std::to_string(size));
      }
    }
    if (!s.begin(status, "application/octet-stream", headers, d.end - d.next).ok()) return void(s.abort());
    bool finished = false;
    if (!stream_held_object(*engine_, s, d, finished)) return void(s.abort());
    if (finished) return void(s.end());
    http_transfers_->downloads.emplace(s.token(), d);
  };
  get_route.on_writable = [this](butter::HttpStream s) {
    auto it = http_transfers_->downloads.find(s.token());
    if (it == http_transfers_->downloads.end()) return;
    bool finished = false;
    const bool ok = stream_held_object(*engine_, s, it->second, finished);
    if (ok && !finished) return;
    http_transfers_->downloads.erase(it);
    if (ok) {
      s.end();
    } else {
      log().warn("pcg-storage: stopped streaming an object that is no longer held here");
      s.abort();
    }
  };
  get_route.on_closed = [this](butter::HttpStream s, std::string_view) { http_transfers_->downloads.erase(s.token()); };
  http().stream("GET", "/storage/", std::move(get_route), {}, butter::Match::Prefix);
}

}  // namespace butter::pcg
