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
// put/list/lookup use butter.storage/1 (every provider serves it). get reads the object as a
// stream of butter.storage/3 when the provider serves it (storage_whole_get.hpp: any size up to
// its `max_bytes`, 64 MiB by default, held whole in memory; BUTTER_E_NOMEM beyond), else /1's get,
// whose answer on the events bus carries at most about 64 KiB (BUTTER_E_NOMEM from the provider
// beyond). manifest/read use butter.storage/2 (iface/storage2.h) and answer synchronously for
// objects held on this node; BUTTER_E_UNSUPPORTED when the provider serves only /1.
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
#include <butter/cpp/storage_results.hpp>
#include <butter/cpp/storage_streams.hpp>
#include <butter/cpp/storage_whole_get.hpp>
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

class Storage {
 public:
  static constexpr std::chrono::milliseconds default_deadline{30000};
  // The most bytes get() holds for one object by default (the whole object is in memory).
  static constexpr std::uint64_t default_get_max = 64u * 1024 * 1024;

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

  // Fetches an object whole (locally when held, else from the network); `fn` gets it once. With
  // butter.storage/3, objects of up to `max_bytes` (else BUTTER_E_NOMEM, before more is read).
  void get(std::string_view object_id, GetHandler fn, std::chrono::milliseconds deadline = default_deadline,
           std::uint64_t max_bytes = default_get_max) {
    if (streams()) return get_streamed(object_id, std::move(fn), deadline, max_bytes);
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
    const butter_status st =
        svc->read(svc.provider(), to_c(object_id), offset, length, &Storage::take_piece, &out, &err);
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
  StoragePut put_begin(const std::vector<std::string>& keywords,
                       std::optional<std::uint64_t> expected_size = std::nullopt, Status* status = nullptr) const {
    auto svc = acquire_v3();
    if (!svc) {
      if (status) *status = v3_missing(svc.status());
      return {};
    }
    std::vector<butter_str> kws;
    kws.reserve(keywords.size());
    for (const auto& k : keywords) kws.push_back(to_c(k));
    auto s = std::make_unique<detail::StreamState>();
    s->core = core_;
    s->provider = svc.provider();
    s->v3 = svc.vtable();
    butter_error err;
    butter_error_init(&err);
    const butter_status st =
        svc->put_begin(svc.provider(), kws.empty() ? nullptr : kws.data(), static_cast<std::uint32_t>(kws.size()),
                       expected_size ? *expected_size : BUTTER_STORAGE_SIZE_UNKNOWN, &s->id, &err);
    if (status) *status = Status::from(st, err);
    if (st != BUTTER_OK) return {};
    s->open = true;
    return StoragePut(std::move(s));
  }

 private:
  // get() through a streamed read (storage_whole_get.hpp): any size up to `max_bytes`, verified
  // block by block by the provider, never over the events bus. The deadline bounds the whole get.
  void get_streamed(std::string_view object_id, GetHandler fn, std::chrono::milliseconds deadline,
                    std::uint64_t max_bytes) {
    detail::Core* core = core_;
    auto owned = std::make_unique<detail::WholeGet>();
    owned->object_id = std::string(object_id);
    owned->max_bytes = max_bytes;
    owned->fn = std::move(fn);
    detail::WholeGet& g = core->add(std::move(owned));
    const std::uint64_t key = g.key;
    Status opened;
    g.read = open_read(
        object_id, 0, BUTTER_STORAGE_TO_END, 0, BUTTER_STORAGE_MAX_STREAM_WINDOW,
        [core, key](std::uint64_t, Bytes chunk) { detail::WholeGet::on_chunk(core, key, chunk); },
        [core, key](const Status& st, std::uint64_t) { detail::WholeGet::finish(core, key, st); }, &opened);
    // A refusal is told later, as every result is (never inside get()).
    const auto wait = opened.ok() ? deadline : std::chrono::milliseconds(0);
    Status at_deadline =
        opened.ok() ? Status(BUTTER_E_TIMEOUT, "no whole object within " + std::to_string(deadline.count()) + " ms")
                    : opened;
    g.deadline =
        detail::set_timer(*core, static_cast<std::uint64_t>(wait.count() > 0 ? wait.count() : 0), 0,
                          [core, key, st = std::move(at_deadline)] { detail::WholeGet::finish(core, key, st); });
  }

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

  Service<butter_storage_v1> acquire() const {
    return Services(core_).acquire<butter_storage_v1>(BUTTER_IFACE_STORAGE);
  }
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
      for (std::uint32_t i = 0; o->keywords && i < o->keyword_count; ++i)
        s.keywords.emplace_back(to_sv(o->keywords[i]));
      out->push_back(std::move(s));
    } catch (...) {
      // Out of memory: the object is left out of the list.
    }
  }

  detail::Core* core_;
};

}  // namespace butter
