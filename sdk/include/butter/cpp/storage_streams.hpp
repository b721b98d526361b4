// butter/cpp/storage_streams.hpp — butter::StorageRead and butter::StoragePut, the streams of
// butter.storage/3 (iface/storage3.h) that butter::Storage (storage.hpp) opens: a read delivers
// chunks under credit-based backpressure, a put writes pieces and commits. Their lifetime rules are
// in storage.hpp's header comment.
#pragma once

#include <butter/cpp/services.hpp>
#include <butter/cpp/storage_results.hpp>
#include <butter/iface/storage3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace butter {

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
  bool committed = false;                   // a put whose commit was accepted
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
  static void on_done(void* user, uint64_t, butter_status st, butter_str id, uint32_t replicas,
                      butter_str reason) noexcept {
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

}  // namespace butter
