// butter/cpp/storage.hpp — the consumer side of "butter.storage/1" (butter/iface/storage.h):
// replicated immutable objects, addressed by the SHA-256 of their block manifest.
//
//   std::string id = storage().put(page_bytes, {"wiki", "butter"}, [this](const butter::PutResult& r) {
//     if (r.ok()) log().info("stored {} on {} nodes", r.object_id, r.replicas);
//     else log().warn("put failed: {}", r.status.message());
//   });
//   storage().get(id, [this](const butter::GetResult& r) { if (r.ok()) show(r.data); });
//   for (const auto& o : storage().list().objects) ...;     // what this node holds, at once
//   auto m = storage().manifest(id);                       // butter.storage/2, held objects only:
//   auto r = storage().read(id, offset, length);           // at once, never over the events bus
//
// Every handler is called exactly once, later (never inside put/get), on the node's executor:
// with the provider's result, or with the reason the call could not complete — BUTTER_E_NOT_FOUND
// (no storage provider in the node), BUTTER_E_UNAVAILABLE (provider stopped or being swapped),
// the provider's own refusal (BUTTER_E_INVALID, BUTTER_E_NOMEM), or BUTTER_E_TIMEOUT when no
// result came before the call's deadline (the provider vanished with the call). Handlers live in
// the plugin instance: a handler whose instance is gone is never called. [node]
//
// put/get/list/lookup use butter.storage/1 (every provider serves it). manifest/read use
// butter.storage/2 (iface/storage2.h) and answer synchronously for objects held on this node;
// BUTTER_E_UNSUPPORTED when the provider serves only /1. A v1 get of an object whose GET_DONE would
// exceed the events bus limit (about 64 KiB) ends with the provider's error, not the object.
//
// Streams use butter.storage/3 (iface/storage3.h), for objects of any size with bounded memory:
//
//   read_ = storage().open_read(id, 0, BUTTER_STORAGE_TO_END, 8, 8,
//       [this](std::uint64_t offset, Bytes chunk) { sink(offset, chunk); read_.credit(1); },
//       [this](Status st, std::uint64_t next_offset) { if (!st.ok()) retry_from(next_offset); });
//   auto w = storage().put_begin({"video"}, size);   // then w.write(bytes)..., w.commit(handler)
//
// A StorageRead cancels its read when destroyed; a StoragePut aborts an uncommitted put, and a
// committed one destroyed before its result makes the provider forget the handler (the object
// is still stored). Their handlers run on the node's executor, never inside the call that
// caused them, with the same exception guard as every callback. A handler may drop or replace
// its own StorageRead or StoragePut (e.g. resume with a new open_read from inside done). Keep
// them as members of the plugin instance: the handlers call into the consumer's code.
#pragma once

#include <butter/cpp/reply_client.hpp>
#include <butter/cpp/services.hpp>
#include <butter/iface/storage.h>
#include <butter/iface/storage2.h>
#include <butter/iface/storage3.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace butter {

struct PutResult {
  Status status;
  std::string object_id;       // 64 hex digits; known even when replication failed, empty when refused
  std::uint32_t replicas = 0;  // group members holding it when reported
  bool ok() const noexcept { return status.ok(); }
};

struct GetResult {
  Status status;
  std::string object_id;
  std::string data;  // the object's bytes (verified against its id by the provider)
  bool ok() const noexcept { return status.ok(); }
};

// One object this node holds.
struct StoredObject {
  std::string object_id;
  std::uint64_t size_bytes = 0;
  std::vector<std::string> keywords;
  std::uint32_t group_size = 0;
};

struct ListResult {
  Status status;
  std::vector<StoredObject> objects;  // in object id order
  bool ok() const noexcept { return status.ok(); }
};

// The manifest of a held object (iface/storage2.h gives its format; SHA-256 of `bytes` is the id).
struct ManifestResult {
  Status status;
  std::string bytes;
  bool ok() const noexcept { return status.ok(); }
};

// A byte range of a held object: `data` starts at `offset`; shorter than asked at the object's end.
struct ReadResult {
  Status status;
  std::uint64_t offset = 0;
  std::string data;
  bool ok() const noexcept { return status.ok(); }
};

using PutHandler = std::function<void(const PutResult&)>;
using GetHandler = std::function<void(const GetResult&)>;
// A streamed read's chunk (borrowed for the call) and its end (status, first offset not delivered).
using ChunkHandler = std::function<void(std::uint64_t offset, Bytes chunk)>;
using ReadDoneHandler = std::function<void(const Status& status, std::uint64_t next_offset)>;

namespace detail {
// What a provider of butter.storage/3 calls back into (its `user`). A Slot so that a state the
// provider may still call (see `untold`) can be handed to the instance's Core, which frees it
// when the instance is destroyed: never before the provider's last possible call.
struct StreamState : Slot {
  const butter_plugin* provider = nullptr;
  const butter_storage_v3* v3 = nullptr;
  std::uint64_t id = 0;
  bool open = false;  // the handlers may run (read not ended or cancelled; put not answered or dropped)
  // The provider was never told the read ended (it was not current when cancelled): it may
  // still call back, e.g. an old instance's stop() ending its reads with done(CANCELLED).
  bool untold = false;
  // A chunk handler is running from this state; one that drops its StorageRead (read_ = {} or
  // a new open_read) only marks it, and on_chunk frees it after the handler returned.
  bool in_callback = false;
  bool free_after_callback = false;
  bool committed = false;                  // a put whose commit was accepted
  std::shared_ptr<StreamState> keep_alive;  // a committed put's state, owned by its pending callback
  ChunkHandler chunk;
  ReadDoneHandler done;
  PutHandler put_done;
  // A vtable is valid only while its provider runs (services().acquire): every later call checks
  // that the same provider still serves /3, else the read or put counts as ended (a provider
  // ends its reads when it stops; a swapped one knows nothing of them).
  bool provider_current() const {
    auto svc = Services(core).acquire<butter_storage_v3>(BUTTER_IFACE_STORAGE_V3);
    return svc && svc.provider() == provider && svc.vtable() == v3;
  }
};

// Frees a read's state once nothing can call into it: after its running chunk handler returns,
// or at the instance's end when the provider was never told (Core owns it as a slot till then).
inline void dispose(std::unique_ptr<StreamState> s) noexcept {
  if (!s) return;
  if (s->in_callback) {
    s->free_after_callback = true;
    (void)s.release();  // on_chunk frees it
    return;
  }
  if (s->untold) {
    Core* core = s->core;
    try {
      core->add(std::move(s));
    } catch (...) {
      (void)s.release();  // out of memory: leak the few bytes rather than free what may be called
    }
  }
}
}  // namespace detail

// A streamed read (butter.storage/3). Move-only; cancels the read when destroyed.
class StorageRead {
 public:
  StorageRead() = default;
  explicit StorageRead(std::unique_ptr<detail::StreamState> s) noexcept : s_(std::move(s)) {}
  StorageRead(StorageRead&&) noexcept = default;
  StorageRead& operator=(StorageRead&& o) noexcept {
    if (this != &o) {
      cancel();
      detail::dispose(std::move(s_));
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~StorageRead() {
    cancel();
    detail::dispose(std::move(s_));
  }
  // True until done ran or the read was cancelled.
  bool active() const noexcept { return s_ && s_->open; }
  std::uint64_t id() const noexcept { return s_ ? s_->id : 0; }
  // Asks for `chunks` more chunks (delivered later, never inside this call).
  Status credit(std::uint32_t chunks) {
    if (!active()) return Status(BUTTER_E_NOT_FOUND, "storage read: not active");
    if (!s_->provider_current()) {
      s_->open = false;
      s_->untold = true;
      return Status(BUTTER_E_UNAVAILABLE, "storage read: the provider is gone");
    }
    return Status(s_->v3->read_credit(s_->provider, s_->id, chunks));
  }
  // Ends the read: nothing more is called. No-op when not active.
  void cancel() noexcept {
    if (!active()) return;
    s_->open = false;
    s_->untold = true;
    try {
      if (s_->provider_current()) {
        s_->v3->read_cancel(s_->provider, s_->id);
        s_->untold = false;
      }
    } catch (...) {
      // Out of memory while asking the broker: the handlers are off (open = false); the state
      // stays untold, so it is kept until the instance ends.
    }
  }

 private:
  std::unique_ptr<detail::StreamState> s_;
};

// A streamed put being written (butter.storage/3). Move-only; aborts when destroyed uncommitted,
// and when destroyed committed before its result came, the provider forgets the handler.
class StoragePut {
 public:
  StoragePut() = default;
  explicit StoragePut(std::unique_ptr<detail::StreamState> s) noexcept : s_(std::move(s)) {}
  StoragePut(StoragePut&&) noexcept = default;
  StoragePut& operator=(StoragePut&& o) noexcept {
    if (this != &o) {
      abort();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~StoragePut() { abort(); }
  bool writable() const noexcept { return s_ && s_->open && !s_->committed; }
  // Appends `data` (copied). BUTTER_E_NOMEM ends the put (past its expected size or the budget).
  Status write(Bytes data) {
    if (!writable()) return Status(BUTTER_E_NOT_FOUND, "storage put: not open");
    if (!s_->provider_current()) {
      s_->open = false;
      return Status(BUTTER_E_UNAVAILABLE, "storage put: the provider is gone");
    }
    butter_error err;
    butter_error_init(&err);
    const butter_status st = s_->v3->put_write(s_->provider, s_->id, data.c(), &err);
    if (st == BUTTER_E_NOMEM || st == BUTTER_E_NOT_FOUND) s_->open = false;
    return Status::from(st, err);
  }
  // Stores and replicates what was written; returns the id at once (empty when refused, with
  // `status`). `fn` gets the result once, later, unless this object is destroyed (or assigned)
  // before: then the provider forgets the handler and `fn` is never called.
  std::string commit(PutHandler fn, Status* status = nullptr) {
    if (!writable() || !s_->provider_current()) {
      if (s_) s_->open = false;
      if (status) *status = Status(BUTTER_E_NOT_FOUND, "storage put: not open (or its provider is gone)");
      return {};
    }
    s_->put_done = std::move(fn);
    const butter_storage_put_handlers h{sizeof(butter_storage_put_handlers), s_.get(), &StoragePut::on_done};
    char id[65] = {0};
    butter_error err;
    butter_error_init(&err);
    // The provider holds the state from here until its done: the state owns itself until then
    // (on_done drops that reference), so destroying this object never frees what it will call.
    s_->committed = true;
    s_->keep_alive = s_;
    const butter_status st = s_->v3->put_commit(s_->provider, s_->id, &h, id, &err);
    if (status) *status = Status::from(st, err);
    if (st != BUTTER_OK) {
      s_->open = false;
      s_->keep_alive.reset();  // refused: no callback follows
      return {};
    }
    return std::string(id, ::strnlen(id, 64));
  }
  // Drops an uncommitted put, or the handler of a committed one still waiting for its result.
  void abort() noexcept {
    if (!s_ || !s_->open) return;
    s_->open = false;  // handlers off whatever follows
    try {
      if (!s_->provider_current()) return;  // a stopped provider has called (or will call) done: keep_alive frees
      const butter_status st = s_->v3->put_abort(s_->provider, s_->id);
      // Forgotten by the provider: it will never call on_done, so nothing holds the state but us.
      if (s_->committed && st == BUTTER_OK) s_->keep_alive.reset();
    } catch (...) {
      // Out of memory while asking the broker: the provider drops the put when it stops; a
      // committed put's state stays alive (keep_alive) until its done.
    }
  }

 private:
  static void on_done(void* user, uint64_t, butter_status st, butter_str id, uint32_t replicas, butter_str reason) noexcept {
    auto* raw = static_cast<detail::StreamState*>(user);
    // The provider's last word: take its reference, so the state lives through the handler even
    // when the handler destroys the StoragePut, and is freed after it.
    std::shared_ptr<detail::StreamState> s = std::move(raw->keep_alive);
    if (!s || !s->open) return;
    s->open = false;
    PutHandler fn = std::move(s->put_done);
    s->core->guarded("storage put result", [&] {
      PutResult r;
      r.status = Status(st, std::string(to_sv(reason)));
      r.object_id = std::string(to_sv(id));
      r.replicas = replicas;
      if (fn) fn(r);
    });
  }
  std::shared_ptr<detail::StreamState> s_;
};

class Storage {
 public:
  static constexpr std::chrono::milliseconds default_deadline{30000};

  explicit Storage(detail::Core* core) noexcept : core_(core) {}

  // True when a started provider of butter.storage/1 is in the node right now.
  bool available() const { return static_cast<bool>(acquire()); }

  // Stores `data` with `keywords` (both copied). Returns the object id at once (empty when the
  // put was refused before reaching a provider); `fn` gets the outcome once.
  std::string put(Bytes data, const std::vector<std::string>& keywords, PutHandler fn,
                  std::chrono::milliseconds deadline = default_deadline) {
    auto& client = detail::ReplyClient::of(*core_);
    auto shared = std::make_shared<PutHandler>(std::move(fn));
    auto id_seen = std::make_shared<std::string>();
    const std::uint64_t ticket = client.add(
        deadline,
        [shared, id_seen](const detail::ReplyHead& h, wire::Reader& r) {
          if (h.kind != BUTTER_STORAGE_RESULT_PUT) return false;
          PutResult res;
          res.object_id = detail::read_str(r);
          res.replicas = r.u32();
          std::string message = detail::read_str(r);
          if (!r.ok()) {
            res.status = Status(BUTTER_E_INTERNAL, "malformed PUT_DONE result");
            res.object_id = *id_seen;
            res.replicas = 0;
          } else {
            res.status = Status(h.status, std::move(message));
          }
          if (res.object_id.empty()) res.object_id = *id_seen;
          if (*shared) (*shared)(res);
          return true;
        },
        [shared, id_seen](Status why) {
          PutResult res;
          res.status = std::move(why);
          res.object_id = *id_seen;
          if (*shared) (*shared)(res);
        },
        BUTTER_IFACE_STORAGE " put");
    auto svc = acquire();
    if (!svc) {
      client.fail_soon(ticket, svc.status());
      return {};
    }
    std::vector<butter_str> kws;
    kws.reserve(keywords.size());
    for (const auto& k : keywords) kws.push_back(to_c(k));
    const butter_reply_to reply = detail::reply_to(client, ticket);
    char id_out[65] = {0};
    butter_error err;
    butter_error_init(&err);
    const butter_status st = svc->put(svc.provider(), &reply, data.c(), kws.empty() ? nullptr : kws.data(),
                                      static_cast<std::uint32_t>(kws.size()), id_out, &err);
    if (st != BUTTER_OK) {
      client.fail_soon(ticket, Status::from(st, err));
      return {};
    }
    *id_seen = std::string(id_out, ::strnlen(id_out, 64));
    return *id_seen;
  }

  // Fetches an object (locally when held, else from the network); `fn` gets it once.
  void get(std::string_view object_id, GetHandler fn, std::chrono::milliseconds deadline = default_deadline) {
    auto& client = detail::ReplyClient::of(*core_);
    auto shared = std::make_shared<GetHandler>(std::move(fn));
    std::string id(object_id);
    const std::uint64_t ticket = client.add(
        deadline,
        [shared, id](const detail::ReplyHead& h, wire::Reader& r) {
          if (h.kind != BUTTER_STORAGE_RESULT_GET) return false;
          GetResult res;
          res.object_id = detail::read_str(r);
          const std::uint32_t n = r.u32();
          res.data = std::string(r.bytes(n));
          std::string message = detail::read_str(r);
          if (!r.ok()) {
            res.status = Status(BUTTER_E_INTERNAL, "malformed GET_DONE result");
            res.data.clear();
          } else {
            res.status = Status(h.status, std::move(message));
          }
          if (res.object_id.empty()) res.object_id = id;
          if (*shared) (*shared)(res);
          return true;
        },
        [shared, id](Status why) {
          GetResult res;
          res.status = std::move(why);
          res.object_id = id;
          if (*shared) (*shared)(res);
        },
        BUTTER_IFACE_STORAGE " get");
    auto svc = acquire();
    if (!svc) {
      client.fail_soon(ticket, svc.status());
      return;
    }
    const butter_reply_to reply = detail::reply_to(client, ticket);
    butter_error err;
    butter_error_init(&err);
    const butter_status st = svc->get(svc.provider(), &reply, to_c(id), &err);
    if (st != BUTTER_OK) client.fail_soon(ticket, Status::from(st, err));
  }

  // Every object this node holds (synchronous).
  ListResult list() const {
    ListResult out;
    auto svc = acquire();
    if (!svc) {
      out.status = svc.status();
      return out;
    }
    const butter_status st = svc->list(svc.provider(), &Storage::collect, &out.objects);
    if (st != BUTTER_OK) out.status = Status(st, std::string("storage list: ") + status_name(st));
    return out;
  }

  // One object held here; nullopt when not held or no provider (`status` says which).
  std::optional<StoredObject> lookup(std::string_view object_id, Status* status = nullptr) const {
    auto svc = acquire();
    if (!svc) {
      if (status) *status = svc.status();
      return std::nullopt;
    }
    std::vector<StoredObject> found;
    const butter_status st = svc->lookup(svc.provider(), to_c(object_id), &Storage::collect, &found);
    if (status) *status = Status(st);
    if (st != BUTTER_OK || found.empty()) return std::nullopt;
    return std::move(found.front());
  }

  // True when the provider serves butter.storage/2 (manifest and read below work).
  bool local_reads() const { return static_cast<bool>(acquire_v2()); }

  // The manifest of an object this node holds (synchronous; nothing is fetched from the network).
  // BUTTER_E_NOT_FOUND when not held here, BUTTER_E_UNSUPPORTED when the provider lacks /2.
  ManifestResult manifest(std::string_view object_id) const {
    ManifestResult out;
    auto svc = acquire_v2();
    if (!svc) {
      out.status = v2_missing(svc.status());
      return out;
    }
    const butter_status st = svc->manifest(svc.provider(), to_c(object_id), &Storage::take_manifest, &out.bytes);
    if (st != BUTTER_OK) {
      out.status = Status(st, std::string("storage manifest: ") + status_name(st));
      out.bytes.clear();
    }
    return out;
  }

  // Bytes [offset, offset + length) of an object held here, clipped at its end (synchronous).
  // length is at most BUTTER_STORAGE_MAX_READ; BUTTER_E_NOT_FOUND when not held here,
  // BUTTER_E_INVALID for a length over the bound or an offset past the end.
  ReadResult read(std::string_view object_id, std::uint64_t offset, std::uint64_t length) const {
    ReadResult out;
    out.offset = offset;
    auto svc = acquire_v2();
    if (!svc) {
      out.status = v2_missing(svc.status());
      return out;
    }
    butter_error err;
    butter_error_init(&err);
    const butter_status st = svc->read(svc.provider(), to_c(object_id), offset, length, &Storage::take_piece, &out, &err);
    if (st != BUTTER_OK) out.status = Status::from(st, err);
    if (!out.status.ok()) out.data.clear();
    return out;
  }

  // True when the provider serves butter.storage/3 (open_read and put_begin below work).
  bool streams() const { return static_cast<bool>(acquire_v3()); }

  // Opens a streamed read of [offset, offset + length) of any object (BUTTER_STORAGE_TO_END for
  // the rest); `window` blocks at most held by the provider (0: its default), `initial_credit`
  // chunks asked at once. An inactive StorageRead when refused (`status` says why;
  // BUTTER_E_UNSUPPORTED without a provider of /3); else `chunk` and then `done` are called later.
  StorageRead open_read(std::string_view object_id, std::uint64_t offset, std::uint64_t length, std::uint32_t window,
                        std::uint32_t initial_credit, ChunkHandler chunk, ReadDoneHandler done,
                        Status* status = nullptr) const {
    auto svc = acquire_v3();
    if (!svc) {
      if (status) *status = v3_missing(svc.status());
      return {};
    }
    auto s = std::make_unique<detail::StreamState>();
    s->core = core_;
    s->provider = svc.provider();
    s->v3 = svc.vtable();
    s->chunk = std::move(chunk);
    s->done = std::move(done);
    const butter_storage_read_handlers h{sizeof(butter_storage_read_handlers), s.get(), &Storage::on_chunk,
                                         &Storage::on_read_done};
    butter_error err;
    butter_error_init(&err);
    const butter_status st =
        svc->open_read(svc.provider(), to_c(object_id), offset, length, window, initial_credit, &h, &s->id, &err);
    if (status) *status = Status::from(st, err);
    if (st != BUTTER_OK) return {};
    s->open = true;
    return StorageRead(std::move(s));
  }

  // Begins a streamed put (expected size when known). An unwritable StoragePut when refused.
  StoragePut put_begin(const std::vector<std::string>& keywords, std::optional<std::uint64_t> expected_size = std::nullopt,
                       Status* status = nullptr) const {
    auto svc = acquire_v3();
    if (!svc) {
      if (status) *status = v3_missing(svc.status());
      return {};
    }
    std::vector<butter_str> kws;
    for (const auto& k : keywords) kws.push_back(to_c(k));
    auto s = std::make_unique<detail::StreamState>();
    s->core = core_;
    s->provider = svc.provider();
    s->v3 = svc.vtable();
    butter_error err;
    butter_error_init(&err);
    const butter_status st = svc->put_begin(svc.provider(), kws.empty() ? nullptr : kws.data(),
                                            static_cast<std::uint32_t>(kws.size()),
                                            expected_size ? *expected_size : BUTTER_STORAGE_SIZE_UNKNOWN, &s->id, &err);
    if (status) *status = Status::from(st, err);
    if (st != BUTTER_OK) return {};
    s->open = true;
    return StoragePut(std::move(s));
  }

 private:
  Service<butter_storage_v3> acquire_v3() const {
    return Services(core_).acquire<butter_storage_v3>(BUTTER_IFACE_STORAGE_V3);
  }
  static Status v3_missing(const Status& s) {
    if (s.code() == BUTTER_E_NOT_FOUND) return Status(BUTTER_E_UNSUPPORTED, "no provider of " BUTTER_IFACE_STORAGE_V3);
    return s;
  }
  static void on_chunk(void* user, uint64_t, uint64_t offset, butter_bytes data) noexcept {
    auto* s = static_cast<detail::StreamState*>(user);
    if (!s->open || s->in_callback) return;
    // The handler may drop its StorageRead (read_ = {}, or a new read assigned): dispose() then
    // only marks the state, freed here once the handler returned.
    s->in_callback = true;
    s->core->guarded("storage read chunk", [&] {
      if (s->chunk) s->chunk(offset, Bytes(data));
    });
    s->in_callback = false;
    if (s->free_after_callback) {
      s->free_after_callback = false;
      detail::dispose(std::unique_ptr<detail::StreamState>(s));
    }
  }
  static void on_read_done(void* user, uint64_t, butter_status st, uint64_t next_offset, butter_str reason) noexcept {
    auto* s = static_cast<detail::StreamState*>(user);
    if (!s->open) return;
    s->open = false;
    // Moved out first: the handler may free the state (a resume assigning a new read to the
    // StorageRead that owns it); nothing of `s` is touched after the call.
    ReadDoneHandler done = std::move(s->done);
    s->chunk = nullptr;
    detail::Core* core = s->core;
    core->guarded("storage read done", [&] {
      if (done) done(Status(st, std::string(to_sv(reason))), next_offset);
    });
  }

  Service<butter_storage_v1> acquire() const { return Services(core_).acquire<butter_storage_v1>(BUTTER_IFACE_STORAGE); }
  Service<butter_storage_v2> acquire_v2() const {
    return Services(core_).acquire<butter_storage_v2>(BUTTER_IFACE_STORAGE_V2);
  }
  // "No provider of /2" must not read as "not held here": both would be BUTTER_E_NOT_FOUND.
  static Status v2_missing(const Status& s) {
    if (s.code() == BUTTER_E_NOT_FOUND) return Status(BUTTER_E_UNSUPPORTED, "no provider of " BUTTER_IFACE_STORAGE_V2);
    return s;
  }

  static void take_manifest(void* user, butter_bytes m) noexcept {
    auto* out = static_cast<std::string*>(user);
    try {
      out->assign(reinterpret_cast<const char*>(m.data), m.len);
    } catch (...) {
      out->clear();  // out of memory: an empty manifest never hashes to an id, so it is never trusted
    }
  }
  static void take_piece(void* user, std::uint64_t offset, butter_bytes piece) noexcept {
    auto* out = static_cast<ReadResult*>(user);
    // Pieces come in order and consecutive; anything else is a provider bug, kept out of the result.
    if (offset != out->offset + out->data.size()) {
      out->status = Status(BUTTER_E_INTERNAL, "storage read: pieces out of order");
      return;
    }
    try {
      out->data.append(reinterpret_cast<const char*>(piece.data), piece.len);
    } catch (...) {
      out->status = Status(BUTTER_E_NOMEM, "storage read: out of memory");
    }
  }

  static void collect(void* user, const butter_storage_object* o) noexcept {
    auto* out = static_cast<std::vector<StoredObject>*>(user);
    if (!o) return;
    try {
      StoredObject s;
      s.object_id = std::string(to_sv(o->object_id));
      s.size_bytes = o->size_bytes;
      s.group_size = o->group_size;
      for (std::uint32_t i = 0; o->keywords && i < o->keyword_count; ++i) s.keywords.emplace_back(to_sv(o->keywords[i]));
      out->push_back(std::move(s));
    } catch (...) {
      // Out of memory: the object is left out of the list.
    }
  }

  detail::Core* core_;
};

}  // namespace butter
