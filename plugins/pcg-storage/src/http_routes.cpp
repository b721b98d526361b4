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
//   (400 bad id everywhere)
// Memory per transfer is bounded: an upload holds what the put holds (the object becomes the stored
// copy); a download of a held object holds nothing; a remote download holds the read's window plus
// at most one block waiting for the client to drain (pieces of kWritePiece bytes).
#include "http_request_parse.hpp"
#include "json_answer.hpp"
#include "pcg_plugin.hpp"

#include <map>

namespace butter::pcg {

// A streamed put being received, or a held object being streamed out.
struct PcgStorage::HttpTransfers {
  struct Upload {
    std::uint64_t put_id = 0;  // the streamed put (PcgStorage::put_begin)
    bool wait = true;
  };
  struct Download {
    Hash id{};
    std::uint64_t next = 0, end = 0;  // bytes [next, end) still to write
  };
  // An object not held here, streamed from its group (PcgStorage::open_read) to the client.
  struct RemoteDownload {
    std::uint64_t read_id = 0;
    std::uint64_t first = 0;            // first byte asked for
    std::optional<std::uint64_t> last;  // last byte asked for (inclusive), from Range
    bool ranged = false, begun = false, finished = false;
    std::vector<std::uint8_t> waiting;  // the rest of a block the client's window could not take
    std::size_t waiting_at = 0;
    butter::Timer poll;  // GET .../manifest: until the read has located it
  };
  std::map<std::uint64_t, Upload> uploads;
  std::map<std::uint64_t, Download> downloads;
  std::map<std::uint64_t, RemoteDownload> remote;
};

namespace {

constexpr std::size_t kWritePiece = 256 * 1024;  // bytes per write of a streamed GET
constexpr std::uint32_t kRemoteWindow = 8;       // blocks a remote read holds or fetches at once
constexpr int kManifestPolls = 1500;             // x 20 ms: 30 s, the HTTP request timeout

const char* const kText = "text/plain; charset=utf-8";

// The HTTP status for a failed read or put.
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

}  // namespace

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

// GET .../manifest of an object not held here: looks every 20 ms whether the read has located the
// manifest (a read tells its consumer only through chunks, and this one is given no credit), for at
// most `polls` times; the read's own done (not found, timeout) answers first when it fails.
void PcgStorage::poll_manifest(butter::HttpStream s, std::uint64_t token, std::string etag, int polls) {
  auto it = http_transfers_->remote.find(token);
  if (it == http_transfers_->remote.end()) return;  // answered by its done, or the client left
  const std::uint64_t rid = it->second.read_id;
  auto bytes = read_manifest(rid);
  if (bytes || polls <= 0) {
    http_transfers_->remote.erase(it);
    read_cancel(rid);
    if (!bytes) return void(s.respond(504, kText, "BUTTER_E_TIMEOUT: the manifest was not located in time\n"));
    s.respond(200, "application/octet-stream", Bytes(*bytes), {{"ETag", etag}});
    return;
  }
  it->second.poll = after(std::chrono::milliseconds(20), [this, s, token, etag = std::move(etag), polls] {
    poll_manifest(s, token, etag, polls - 1);
  });
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
    log().warn("pcg-storage: the host has no " BUTTER_EXT_HTTP_V2
               "; POST /storage takes at most the node's body limit");
    http().post("/storage", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
      Pending who;
      const bool wait = req.query_param("wait").value_or("1") != "0";
      if (wait) who.http.emplace(std::move(res));
      std::string id, why;
      const butter_status st = put(who, req.body_bytes(), keywords_of(req), id, why);
      butter::HttpResponse& answer = wait ? *who.http : res;
      if (st != BUTTER_OK) {
        answer.status(st == BUTTER_E_NOMEM     ? 507
                      : st == BUTTER_E_INVALID ? 400
                                               : 500)
            .text(std::string(status_name(st)) + ": " + why + "\n");
        return;
      }
      if (!wait) res.status(202).json(dump_json({{"id", id}}));
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
    std::optional<std::uint64_t> expected;
    // A declared length over the free budget is refused before a byte is read.
    if (auto len = req.header("Content-Length")) {
      expected = number(*len);
      if (expected && *expected > engine_->budget().free()) return void(s.respond(507, kText, over_budget(*expected)));
    }
    HttpTransfers::Upload up;
    up.wait = req.query_param("wait").value_or("1") != "0";
    std::string why;
    const butter_status st = put_begin(keywords_of(req), expected, up.put_id, why);
    if (st != BUTTER_OK) {
      // NOMEM here is "too many puts open", not "out of room": try again later.
      return void(s.respond(st == BUTTER_E_NOMEM ? 503 : http_status_of(st), kText,
                            std::string(status_name(st)) + ": " + why + "\n"));
    }
    http_transfers_->uploads.emplace(s.token(), up);
    s.read_body();
  };
  put_route.on_body = [this](butter::HttpStream s, Bytes chunk, bool last) {
    auto it = http_transfers_->uploads.find(s.token());
    if (it == http_transfers_->uploads.end()) return;
    const HttpTransfers::Upload up = it->second;
    std::string why, id;
    butter_status st = put_write(up.put_id, std::span<const std::uint8_t>(chunk.data(), chunk.size()), why);
    if (st == BUTTER_OK && !last) return void(s.read_body());
    http_transfers_->uploads.erase(it);
    if (st == BUTTER_OK) {
      auto done = [this, s, wait = up.wait](butter_status result, const std::string& object, std::uint32_t replicas,
                                            const std::string& reason) {
        if (!wait) return;
        s.respond(result == BUTTER_OK ? 201 : http_status_of(result), "application/json",
                  dump_json({{"id", object}, {"replicas", replicas}, {"message", reason}}));
      };
      st = put_commit(up.put_id, std::move(done), id, why);
      if (st == BUTTER_OK) {
        if (!up.wait) s.respond(202, "application/json", dump_json({{"id", id}}));
        return;
      }
    }
    put_abort(up.put_id);  // a refused write already ended it; this is then a no-op
    s.respond(http_status_of(st), kText, std::string(status_name(st)) + ": " + why + "\n");
  };
  put_route.on_closed = [this](butter::HttpStream s, std::string_view) {
    auto it = http_transfers_->uploads.find(s.token());
    if (it == http_transfers_->uploads.end()) return;
    put_abort(it->second.put_id);  // the client left before the end of its body
    http_transfers_->uploads.erase(it);
  };
  http().stream("POST", "/storage", std::move(put_route), {true, BUTTER_HTTP_UNLIMITED});

  // A remote download's bytes to the client: what waits first, then `bytes` (copied only for what
  // the client's window cannot take now). True when all was taken; false when some waits (then no
  // credit is given until on_writable drained it). `failed` when the exchange is gone.
  auto feed_remote = [](butter::HttpStream s, HttpTransfers::RemoteDownload& r, std::span<const std::uint8_t> bytes,
                        bool& failed) {
    failed = false;
    auto write_from = [&](std::span<const std::uint8_t> from, std::size_t& at) {
      while (at < from.size()) {
        const std::size_t n = std::min(kWritePiece, from.size() - at);
        const auto st = s.write(Bytes(from.data() + at, n));
        if (st.code() == BUTTER_E_AGAIN) return false;
        if (!st.ok()) {
          failed = true;
          return false;
        }
        at += n;
      }
      return true;
    };
    if (!r.waiting.empty()) {
      if (!write_from(r.waiting, r.waiting_at)) {
        if (!bytes.empty()) r.waiting.insert(r.waiting.end(), bytes.begin(), bytes.end());
        return false;
      }
      r.waiting.clear();
      r.waiting_at = 0;
    }
    std::size_t at = 0;
    if (write_from(bytes, at)) return true;
    if (!failed) r.waiting.assign(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.end());
    return false;
  };

  // The head of a remote download: bytes [r.first, end) of an object of `total` bytes (nullopt:
  // unknown, "*" in Content-Range).
  auto begin_remote = [](butter::HttpStream s, HttpTransfers::RemoteDownload& r, const Hash& id,
                         std::optional<std::uint64_t> total, std::uint64_t end) {
    std::vector<std::pair<std::string, std::string>> headers{{"ETag", "\"" + to_hex(id) + "\""},
                                                             {"Accept-Ranges", "bytes"}};
    if (r.ranged) {
      headers.emplace_back("Content-Range", "bytes " + std::to_string(r.first) + "-" + std::to_string(end - 1) + "/" +
                                                (total ? std::to_string(*total) : std::string("*")));
    }
    r.begun = true;
    return s.begin(r.ranged ? 206 : 200, "application/octet-stream", headers, end - r.first).ok();
  };

  butter::StreamHandlers get_route;
  get_route.on_request = [this, feed_remote, begin_remote](const butter::HttpRequest& req, butter::HttpStream s) {
    std::string_view rest = req.path().substr(std::string_view("/storage/").size());
    const bool want_manifest = rest.size() > 64 && rest.substr(64) == "/manifest";
    std::string_view id_hex = want_manifest ? rest.substr(0, 64) : rest;
    Hash id{};
    if (!from_hex(id_hex, id)) {
      s.respond(400, kText, "BUTTER_E_INVALID: an object id is 64 hex digits\n");
      return;
    }
    const std::string etag = "\"" + to_hex(id) + "\"";
    const auto* manifest = engine_->holds(id) ? engine_->manifest_of(id) : nullptr;
    const auto info = manifest ? engine_->lookup(id) : std::nullopt;
    if (want_manifest) {
      if (manifest) return void(s.respond(200, "application/octet-stream", Bytes(*manifest), {{"ETag", etag}}));
      // Not held here: located by a streamed read that is given no credit (so it stays open
      // once it has the manifest, which it verified against the id), answered once it has it.
      const std::uint64_t token = s.token();
      ReadHandlers handlers;
      std::uint64_t read_id = 0;
      handlers.chunk = [](std::uint64_t, std::span<const std::uint8_t>) {};
      handlers.done = [this, s, token](butter_status st, std::uint64_t, const std::string& reason) {
        auto it = http_transfers_->remote.find(token);
        if (it == http_transfers_->remote.end()) return;
        http_transfers_->remote.erase(it);
        s.respond(st == BUTTER_OK ? 404 : http_status_of(st), kText,
                  std::string(status_name(st == BUTTER_OK ? BUTTER_E_NOT_FOUND : st)) + ": " +
                      (reason.empty() ? std::string("not located") : reason) + "\n");
      };
      std::string why;
      const butter_status st = open_read(id_hex, 0, UINT64_MAX, 1, 0, std::move(handlers), read_id, why);
      if (st != BUTTER_OK) {
        return void(s.respond(st == BUTTER_E_NOMEM ? 503 : http_status_of(st), kText,
                              std::string(status_name(st)) + ": " + why + "\n"));
      }
      HttpTransfers::RemoteDownload r;
      r.read_id = read_id;
      http_transfers_->remote.emplace(token, std::move(r));
      poll_manifest(s, token, etag, kManifestPolls);
      return;
    }
    if (!info || !engine_->blocks_of(id)) {
      // Not held here whole: a streamed read from the group.
      HttpTransfers::RemoteDownload r;
      if (auto h = req.header("Range")) {
        if (auto range = parse_range_start(*h)) {
          r.ranged = true;
          r.first = range->first;
          if (range->last != UINT64_MAX) r.last = range->last;
        }
      }
      const std::uint64_t token = s.token();
      ReadHandlers handlers;
      handlers.chunk = [this, s, token, id, feed_remote, begin_remote](std::uint64_t,
                                                                       std::span<const std::uint8_t> bytes) {
        auto it = http_transfers_->remote.find(token);
        if (it == http_transfers_->remote.end()) return;
        auto& r = it->second;
        bool failed = false;
        if (!r.begun) {
          // The head needs the object's size, which the read knows while it is open. Chunks
          // handed out with the read already over (its last blocks and its done in one batch)
          // wait for done, which says where the object ended (at most a window of blocks).
          const auto report = read_report(r.read_id);
          if (!report || report->object_size == 0)
            return void(r.waiting.insert(r.waiting.end(), bytes.begin(), bytes.end()));
          const std::uint64_t size = report->object_size;
          const std::uint64_t end = r.last ? std::min(*r.last + 1, size) : size;
          if (!begin_remote(s, r, id, size, end)) failed = true;
        }
        if (!failed && feed_remote(s, r, bytes, failed)) read_credit(r.read_id, 1);
        if (failed) {
          read_cancel(r.read_id);
          http_transfers_->remote.erase(it);
          s.abort();
        }
      };
      handlers.done = [this, s, token, id, begin_remote, feed_remote](butter_status st, std::uint64_t next,
                                                                      const std::string& reason) {
        auto it = http_transfers_->remote.find(token);
        if (it == http_transfers_->remote.end()) return;
        auto& r = it->second;
        if (st == BUTTER_OK) {
          if (!r.begun) {
            if (r.waiting.empty() && r.ranged) {
              // Nothing delivered: a range starting at the object's end.
              http_transfers_->remote.erase(it);
              return void(s.respond(416, kText, "range not satisfiable: it starts at the object's end\n"));
            }
            // Everything came in one batch (or the object is empty): it ended at `next`, which is
            // the object's size unless the range stopped first.
            const bool reached_end = !r.last || next < *r.last + 1;
            bool failed =
                !begin_remote(s, r, id, reached_end ? std::optional<std::uint64_t>(next) : std::nullopt, next);
            if (!failed && !feed_remote(s, r, {}, failed) && !failed) {
              r.finished = true;  // on_writable ends it once the client took the rest
              return;
            }
            http_transfers_->remote.erase(it);
            if (failed) return s.abort();
            s.end();
            return;
          }
          if (r.waiting.empty()) {
            http_transfers_->remote.erase(it);
            s.end();
          } else {
            r.finished = true;  // on_writable ends it once the client took the rest
          }
          return;
        }
        const bool begun = r.begun;
        http_transfers_->remote.erase(it);
        if (begun) {
          log().warn("pcg-storage: a streamed read for an HTTP client failed after its head: {}", reason);
          return void(s.abort());
        }
        // The engine says INVALID for a range starting past the end.
        const int code = st == BUTTER_E_INVALID ? 416 : http_status_of(st);
        s.respond(code, kText, std::string(status_name(st)) + ": " + reason + "\n");
      };
      std::string why;
      const butter_status st = open_read(id_hex, r.first, r.last ? *r.last + 1 - r.first : UINT64_MAX, kRemoteWindow,
                                         kRemoteWindow, std::move(handlers), r.read_id, why);
      if (st != BUTTER_OK) {
        return void(s.respond(st == BUTTER_E_NOMEM ? 503 : http_status_of(st), kText,
                              std::string(status_name(st)) + ": " + why + "\n"));
      }
      http_transfers_->remote.emplace(token, std::move(r));
      return;
    }
    const std::uint64_t size = info->size;
    HttpTransfers::Download d{id, 0, size};
    std::vector<std::pair<std::string, std::string>> headers{{"ETag", etag}, {"Accept-Ranges", "bytes"}};
    int status = 200;
    if (auto h = req.header("Range")) {
      if (auto r = parse_range(*h, size)) {
        if (r->unsatisfiable) {
          s.respond(416, kText, "range not satisfiable: the object has " + std::to_string(size) + " bytes\n",
                    {{"Content-Range", "bytes */" + std::to_string(size)}, {"ETag", etag}});
          return;
        }
        status = 206;
        d.next = r->first;
        d.end = r->last + 1;
        headers.emplace_back("Content-Range", "bytes " + std::to_string(r->first) + "-" + std::to_string(r->last) +
                                                  "/" + std::to_string(size));
      }
    }
    if (!s.begin(status, "application/octet-stream", headers, d.end - d.next).ok()) return void(s.abort());
    bool finished = false;
    if (!stream_held_object(*engine_, s, d, finished)) return void(s.abort());
    if (finished) return void(s.end());
    http_transfers_->downloads.emplace(s.token(), d);
  };
  get_route.on_writable = [this, feed_remote](butter::HttpStream s) {
    if (auto r = http_transfers_->remote.find(s.token()); r != http_transfers_->remote.end()) {
      bool failed = false;
      if (feed_remote(s, r->second, {}, failed)) {
        if (r->second.finished) {
          http_transfers_->remote.erase(r);
          return void(s.end());
        }
        read_credit(r->second.read_id, 1);  // the block that waited is with the client now
      } else if (failed) {
        read_cancel(r->second.read_id);
        http_transfers_->remote.erase(r);
        s.abort();
      }
      return;
    }
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
  get_route.on_closed = [this](butter::HttpStream s, std::string_view) {
    http_transfers_->downloads.erase(s.token());
    if (auto r = http_transfers_->remote.find(s.token()); r != http_transfers_->remote.end()) {
      read_cancel(r->second.read_id);  // the client left: the read stops fetching
      http_transfers_->remote.erase(r);
    }
  };
  http().stream("GET", "/storage/", std::move(get_route), {}, butter::Match::Prefix);
}

}  // namespace butter::pcg
