// GET /storage/<id> and GET /storage/<id>/manifest, streamed (butter.http/2): a held object out of
// this node's blocks, one not held here by a streamed read from its group, and a manifest located
// in the group. What the routes answer is written at the top of http_routes.cpp.
#include "http_request_parse.hpp"
#include "http_routes.hpp"

namespace butter::pcg {

namespace {

constexpr std::size_t kWritePiece = 256 * 1024;  // bytes per write of a streamed GET
constexpr std::uint32_t kRemoteWindow = 8;       // blocks a remote read holds or fetches at once

// Writes bytes [next, end) of a held object from the engine's blocks until the window is full
// (`writable` calls again) or the range is done. false when the object is no longer held whole
// (the caller aborts: the client sees a cut body, never wrong bytes).
bool stream_held_object(const Engine& engine, butter::HttpStream stream, StorageRoutes::Download& d, bool& finished) {
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

// A remote download's bytes to the client: what waits first, then `bytes` (copied only for what
// the client's window cannot take now). True when all was taken; false when some waits (then no
// credit is given until on_writable drained it). `failed` when the exchange is gone.
bool feed_remote(butter::HttpStream s, StorageRoutes::RemoteDownload& r, std::span<const std::uint8_t> bytes,
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
}

// The head of a remote download: bytes [r.first, end) of an object of `total` bytes (nullopt:
// unknown, "*" in Content-Range).
bool begin_remote(butter::HttpStream s, StorageRoutes::RemoteDownload& r, const Hash& id,
                  std::optional<std::uint64_t> total, std::uint64_t end) {
  std::vector<std::pair<std::string, std::string>> headers{{"ETag", "\"" + to_hex(id) + "\""},
                                                           {"Accept-Ranges", "bytes"}};
  if (r.ranged) {
    headers.emplace_back("Content-Range", "bytes " + std::to_string(r.first) + "-" + std::to_string(end - 1) + "/" +
                                              (total ? std::to_string(*total) : std::string("*")));
  }
  r.begun = true;
  return s.begin(r.ranged ? 206 : 200, "application/octet-stream", headers, end - r.first).ok();
}

}  // namespace

void StorageRoutes::get_request(const butter::HttpRequest& req, butter::HttpStream s) {
  std::string_view rest = req.path().substr(std::string_view("/storage/").size());
  const bool want_manifest = rest.size() > 64 && rest.substr(64) == "/manifest";
  std::string_view id_hex = want_manifest ? rest.substr(0, 64) : rest;
  Hash id{};
  if (!from_hex(id_hex, id)) {
    s.respond(400, kText, "BUTTER_E_INVALID: an object id is 64 hex digits\n");
    return;
  }
  const std::string etag = "\"" + to_hex(id) + "\"";
  const Engine& engine = plugin_.engine();
  const auto* manifest = engine.holds(id) ? engine.manifest_of(id) : nullptr;
  const auto info = manifest ? engine.lookup(id) : std::nullopt;
  if (want_manifest) {
    if (manifest) return void(s.respond(200, "application/octet-stream", Bytes(*manifest), {{"ETag", etag}}));
    return serve_remote_manifest(s, id_hex, etag);
  }
  // Not held here whole: a streamed read from the group.
  if (!info || !engine.blocks_of(id)) return serve_remote(req, s, id, id_hex);
  serve_held(req, s, id, info->size, etag);
}

// Not held here: located by a streamed read that is given no credit, answered with the manifest
// it verified against the id as soon as it has it (its `located` handler), then cancelled. The
// read's own end answers when nobody holds the object or nobody answers in time; an empty object,
// whose read ends "complete" at once, is told located first.
void StorageRoutes::serve_remote_manifest(butter::HttpStream s, std::string_view id_hex, const std::string& etag) {
  const std::uint64_t token = s.token();
  PcgStorage::ReadHandlers handlers;
  std::uint64_t read_id = 0;
  handlers.chunk = [](std::uint64_t, std::span<const std::uint8_t>) {};
  handlers.located = [this, s, token, etag](std::span<const std::uint8_t> manifest) {
    auto it = remote_.find(token);
    if (it == remote_.end()) return;  // the client left
    const std::uint64_t rid = it->second.read_id;
    remote_.erase(it);
    plugin_.read_cancel(rid);
    s.respond(200, "application/octet-stream", Bytes(manifest.data(), manifest.size()), {{"ETag", etag}});
  };
  handlers.done = [this, s, token](butter_status st, std::uint64_t, const std::string& reason) {
    auto it = remote_.find(token);
    if (it == remote_.end()) return;
    remote_.erase(it);
    s.respond(st == BUTTER_OK ? 404 : http_status_of(st), kText,
              std::string(status_name(st == BUTTER_OK ? BUTTER_E_NOT_FOUND : st)) + ": " +
                  (reason.empty() ? std::string("not located") : reason) + "\n");
  };
  std::string why;
  const butter_status st = plugin_.open_read(id_hex, 0, UINT64_MAX, 1, 0, std::move(handlers), read_id, why);
  if (st != BUTTER_OK) {
    return void(s.respond(st == BUTTER_E_NOMEM ? 503 : http_status_of(st), kText,
                          std::string(status_name(st)) + ": " + why + "\n"));
  }
  RemoteDownload r;
  r.read_id = read_id;
  remote_.emplace(token, std::move(r));
}

void StorageRoutes::serve_remote(const butter::HttpRequest& req, butter::HttpStream s, const Hash& id,
                                 std::string_view id_hex) {
  RemoteDownload r;
  if (auto h = req.header("Range")) {
    if (auto range = parse_range_start(*h)) {
      r.ranged = true;
      r.first = range->first;
      if (range->last != UINT64_MAX) r.last = range->last;
    }
  }
  const std::uint64_t token = s.token();
  PcgStorage::ReadHandlers handlers;
  handlers.chunk = [this, s, token, id](std::uint64_t, std::span<const std::uint8_t> bytes) {
    remote_chunk(s, token, id, bytes);
  };
  handlers.done = [this, s, token, id](butter_status st, std::uint64_t next, const std::string& reason) {
    remote_done(s, token, id, st, next, reason);
  };
  std::string why;
  const butter_status st = plugin_.open_read(id_hex, r.first, r.last ? *r.last + 1 - r.first : UINT64_MAX,
                                             kRemoteWindow, kRemoteWindow, std::move(handlers), r.read_id, why);
  if (st != BUTTER_OK) {
    return void(s.respond(st == BUTTER_E_NOMEM ? 503 : http_status_of(st), kText,
                          std::string(status_name(st)) + ": " + why + "\n"));
  }
  remote_.emplace(token, std::move(r));
}

void StorageRoutes::remote_chunk(butter::HttpStream s, std::uint64_t token, const Hash& id,
                                 std::span<const std::uint8_t> bytes) {
  auto it = remote_.find(token);
  if (it == remote_.end()) return;
  auto& r = it->second;
  bool failed = false;
  if (!r.begun) {
    // The head needs the object's size, which the read knows while it is open. Chunks handed out
    // with the read already over (its last blocks and its done in one batch) wait for done, which
    // says where the object ended (at most a window of blocks).
    const auto report = plugin_.read_report(r.read_id);
    if (!report || report->object_size == 0) return void(r.waiting.insert(r.waiting.end(), bytes.begin(), bytes.end()));
    const std::uint64_t size = report->object_size;
    const std::uint64_t end = r.last ? std::min(*r.last + 1, size) : size;
    if (!begin_remote(s, r, id, size, end)) failed = true;
  }
  if (!failed && feed_remote(s, r, bytes, failed)) plugin_.read_credit(r.read_id, 1);
  if (failed) {
    plugin_.read_cancel(r.read_id);
    remote_.erase(it);
    s.abort();
  }
}

void StorageRoutes::remote_done(butter::HttpStream s, std::uint64_t token, const Hash& id, butter_status st,
                                std::uint64_t next, const std::string& reason) {
  auto it = remote_.find(token);
  if (it == remote_.end()) return;
  auto& r = it->second;
  if (st == BUTTER_OK) {
    if (!r.begun) {
      if (r.waiting.empty() && r.ranged) {
        // Nothing delivered: a range starting at the object's end.
        remote_.erase(it);
        return void(s.respond(416, kText, "range not satisfiable: it starts at the object's end\n"));
      }
      // Everything came in one batch (or the object is empty): it ended at `next`, which is the
      // object's size unless the range stopped first.
      const bool reached_end = !r.last || next < *r.last + 1;
      bool failed = !begin_remote(s, r, id, reached_end ? std::optional<std::uint64_t>(next) : std::nullopt, next);
      if (!failed && !feed_remote(s, r, {}, failed) && !failed) {
        r.finished = true;  // get_writable ends it once the client took the rest
        return;
      }
      remote_.erase(it);
      if (failed) return s.abort();
      s.end();
      return;
    }
    if (r.waiting.empty()) {
      remote_.erase(it);
      s.end();
    } else {
      r.finished = true;  // get_writable ends it once the client took the rest
    }
    return;
  }
  const bool begun = r.begun;
  remote_.erase(it);
  if (begun) {
    plugin_.log().warn("pcg-storage: a streamed read for an HTTP client failed after its head: {}", reason);
    return void(s.abort());
  }
  // The engine says INVALID for a range starting past the end.
  const int code = st == BUTTER_E_INVALID ? 416 : http_status_of(st);
  s.respond(code, kText, std::string(status_name(st)) + ": " + reason + "\n");
}

void StorageRoutes::serve_held(const butter::HttpRequest& req, butter::HttpStream s, const Hash& id, std::uint64_t size,
                               const std::string& etag) {
  Download d{id, 0, size};
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
      headers.emplace_back("Content-Range", "bytes " + std::to_string(r->first) + "-" + std::to_string(r->last) + "/" +
                                                std::to_string(size));
    }
  }
  if (!s.begin(status, "application/octet-stream", headers, d.end - d.next).ok()) return void(s.abort());
  bool finished = false;
  if (!stream_held_object(plugin_.engine(), s, d, finished)) return void(s.abort());
  if (finished) return void(s.end());
  downloads_.emplace(s.token(), d);
}

void StorageRoutes::get_writable(butter::HttpStream s) {
  if (auto r = remote_.find(s.token()); r != remote_.end()) {
    bool failed = false;
    if (feed_remote(s, r->second, {}, failed)) {
      if (r->second.finished) {
        remote_.erase(r);
        return void(s.end());
      }
      plugin_.read_credit(r->second.read_id, 1);  // the block that waited is with the client now
    } else if (failed) {
      plugin_.read_cancel(r->second.read_id);
      remote_.erase(r);
      s.abort();
    }
    return;
  }
  auto it = downloads_.find(s.token());
  if (it == downloads_.end()) return;
  bool finished = false;
  const bool ok = stream_held_object(plugin_.engine(), s, it->second, finished);
  if (ok && !finished) return;
  downloads_.erase(it);
  if (ok) {
    s.end();
  } else {
    plugin_.log().warn("pcg-storage: stopped streaming an object that is no longer held here");
    s.abort();
  }
}

void StorageRoutes::get_closed(butter::HttpStream s) {
  downloads_.erase(s.token());
  if (auto r = remote_.find(s.token()); r != remote_.end()) {
    plugin_.read_cancel(r->second.read_id);  // the client left: the read stops fetching
    remote_.erase(r);
  }
}

}  // namespace butter::pcg
