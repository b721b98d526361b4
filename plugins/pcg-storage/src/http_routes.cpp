// HTTP routes for humans, tests and the `butter put/get/cat` commands:
//   GET  /storage          what this node holds (JSON), with each group's view and proven holders,
//                          and the possession counters
//   POST /storage          stores the body, streamed in (butter.http/2) into a streamed put
//                          (butter.storage/3: blocks hashed as they fill): any size up to the
//                          free storage budget; ?keywords=a,b  ?wait=0 answers with the id at once
//                          (201 {"id","replicas","message"} once stored on this node's disk;
//                          507 beyond the budget or disk full; 500 disk write failed; 400 bad input)
//   GET  /storage/<id>     the object's bytes (verified), with Content-Length, ETag "<id>",
//                          Accept-Ranges and `Range: bytes=a-b` (206 + Content-Range; 416 out of
//                          range). Held here: streamed out of this node's blocks. Else a streamed
//                          read from its group (blocks from several members, each verified, at
//                          most a window of blocks held), begun once the first block is in
//                          (404 nobody reachable holds it, 504 timeout; after the head, a failed
//                          read cuts the body, so a client sees a short body, never wrong bytes,
//                          and resumes with Range)
//   GET  /storage/<id>/manifest  the manifest the id is the SHA-256 of (iface/storage2.h), for a
//                          reader to verify blocks; from this node, or located in the group
//                          (404 "BUTTER_E_NOT_FOUND: ..." once nobody reachable holds it: butter
//                          get takes that body for "no such object" and asks nothing more; 504
//                          when the read's time ran out still locating)
//   (400 bad id everywhere)
// Memory per transfer is bounded: an upload holds what the put holds (the object becomes the stored
// copy); a download of a held object holds nothing; a remote download holds the read's window plus
// at most one block waiting for the client to drain (pieces of kWritePiece bytes, http_download.cpp).
#include "http_routes.hpp"

#include "http_request_parse.hpp"
#include <butter/cpp/json.hpp>  // butter::Json, dump_json: the HTTP answers

namespace butter::pcg {

int http_status_of(butter_status st) {
  switch (st) {
    case BUTTER_E_NOT_FOUND:
      return 404;
    case BUTTER_E_TIMEOUT:
      return 504;
    case BUTTER_E_NOMEM:
      return 507;
    case BUTTER_E_INVALID:
      return 400;
    default:
      return 502;
  }
}

void PcgStorage::add_routes() {
  http_routes_ = std::make_shared<StorageRoutes>(*this);
  http_routes_->add();
}

void StorageRoutes::add() {
  butter::Http http = plugin_.http();
  http.get("/storage", [this](const butter::HttpRequest&, butter::HttpResponse& res) { list(res); });
  if (!http.streams_available()) {
    plugin_.log().warn("pcg-storage: the host has no " BUTTER_EXT_HTTP_V2
                       "; POST /storage takes at most the node's body limit");
    http.post("/storage", [this](const butter::HttpRequest& req, butter::HttpResponse& res) { put_whole(req, res); });
    http.get(
        "/storage/", [this](const butter::HttpRequest& req, butter::HttpResponse& res) { get_whole(req, res); },
        butter::Match::Prefix);
    return;
  }

  butter::StreamHandlers put;
  put.on_request = [this](const butter::HttpRequest& req, butter::HttpStream s) { put_request(req, s); };
  put.on_body = [this](butter::HttpStream s, Bytes chunk, bool last) { put_body(s, chunk, last); };
  put.on_closed = [this](butter::HttpStream s, std::string_view) { put_closed(s); };
  http.stream("POST", "/storage", std::move(put), {true, BUTTER_HTTP_UNLIMITED});

  butter::StreamHandlers get;
  get.on_request = [this](const butter::HttpRequest& req, butter::HttpStream s) { get_request(req, s); };
  get.on_writable = [this](butter::HttpStream s) { get_writable(s); };
  get.on_closed = [this](butter::HttpStream s, std::string_view) { get_closed(s); };
  http.stream("GET", "/storage/", std::move(get), {}, butter::Match::Prefix);
}

void StorageRoutes::list(butter::HttpResponse& res) { res.json(plugin_.list_json()); }

std::string StorageRoutes::over_budget(std::uint64_t needed) const {
  const Budget& budget = plugin_.engine().budget();
  return "BUTTER_E_NOMEM: storage budget exceeded: needs " + std::to_string(needed) + " bytes, " +
         std::to_string(budget.free()) + " of " + std::to_string(budget.capacity()) + " free\n";
}

void StorageRoutes::put_whole(const butter::HttpRequest& req, butter::HttpResponse& res) {
  PcgStorage::Pending who;
  const bool wait = req.query_param("wait").value_or("1") != "0";
  if (wait) who.http.emplace(std::move(res));
  std::string id, why;
  const butter_status st = plugin_.put(who, req.body_bytes(), keywords_of(req), id, why);
  butter::HttpResponse& answer = wait ? *who.http : res;
  if (st != BUTTER_OK) {
    answer.status(st == BUTTER_E_NOMEM     ? 507
                  : st == BUTTER_E_INVALID ? 400
                                           : 500)
        .text(std::string(status_name(st)) + ": " + why + "\n");
    return;
  }
  if (!wait) res.status(202).json(dump_json({{"id", id}}));
}

void StorageRoutes::get_whole(const butter::HttpRequest& req, butter::HttpResponse& res) {
  PcgStorage::Pending who;
  who.http.emplace(std::move(res));
  std::string why;
  if (plugin_.get(who, req.path().substr(std::string_view("/storage/").size()), why) != BUTTER_OK)
    who.http->status(400).text("BUTTER_E_INVALID: " + why + "\n");
}

void StorageRoutes::put_request(const butter::HttpRequest& req, butter::HttpStream s) {
  std::optional<std::uint64_t> expected;
  // A declared length over the free budget is refused before a byte is read.
  if (auto len = req.header("Content-Length")) {
    expected = number(*len);
    if (expected && *expected > plugin_.engine().budget().free())
      return void(s.respond(507, kText, over_budget(*expected)));
  }
  Upload up;
  up.wait = req.query_param("wait").value_or("1") != "0";
  std::string why;
  const butter_status st = plugin_.put_begin(keywords_of(req), expected, up.put_id, why);
  if (st != BUTTER_OK) {
    // NOMEM here is "too many puts open", not "out of room": try again later.
    return void(s.respond(st == BUTTER_E_NOMEM ? 503 : http_status_of(st), kText,
                          std::string(status_name(st)) + ": " + why + "\n"));
  }
  uploads_.emplace(s.token(), up);
  s.read_body();
}

void StorageRoutes::put_body(butter::HttpStream s, Bytes chunk, bool last) {
  auto it = uploads_.find(s.token());
  if (it == uploads_.end()) return;
  const Upload up = it->second;
  std::string why, id;
  butter_status st = plugin_.put_write(up.put_id, std::span<const std::uint8_t>(chunk.data(), chunk.size()), why);
  if (st == BUTTER_OK && !last) return void(s.read_body());
  uploads_.erase(it);
  if (st == BUTTER_OK) {
    auto done = [s, wait = up.wait](butter_status result, const std::string& object, std::uint32_t replicas,
                                    const std::string& reason) {
      if (!wait) return;
      s.respond(result == BUTTER_OK ? 201 : http_status_of(result), "application/json",
                dump_json({{"id", object}, {"replicas", replicas}, {"message", reason}}));
    };
    st = plugin_.put_commit(up.put_id, std::move(done), id, why);
    if (st == BUTTER_OK) {
      if (!up.wait) s.respond(202, "application/json", dump_json({{"id", id}}));
      return;
    }
  }
  plugin_.put_abort(up.put_id);  // a refused write already ended it; this is then a no-op
  s.respond(http_status_of(st), kText, std::string(status_name(st)) + ": " + why + "\n");
}

void StorageRoutes::put_closed(butter::HttpStream s) {
  auto it = uploads_.find(s.token());
  if (it == uploads_.end()) return;
  plugin_.put_abort(it->second.put_id);  // the client left before the end of its body
  uploads_.erase(it);
}

}  // namespace butter::pcg
