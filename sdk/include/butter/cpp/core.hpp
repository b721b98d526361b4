// butter/cpp/core.hpp — the machinery under butter::Plugin (not API: names in butter::detail may
// change). One Core per instance holds:
//   - the host and the extension vtables, fetched once at creation and again before init;
//   - the slots: every callback registered through the wrapper is a heap Slot owned here, and the
//     Slot's address is the `user` pointer given to the host, so nothing dangles. Slots dropped
//     while a callback runs are parked in a graveyard and freed when the outermost callback
//     returns, so a callback may cancel its own timer or drop its own handler;
//   - the exception guard used by every trampoline: catch, log through butter.log/1, and turn
//     into a status where the C function has one.
#pragma once

#include <butter/butter.h>
#include <butter/cpp/status.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace butter::detail {

struct Extensions {
  const butter_log_v1* log = nullptr;
  const butter_node_v1* node = nullptr;
  const butter_config_v1* config = nullptr;
  const butter_timer_v1* timer = nullptr;
  const butter_net_v1* net = nullptr;
  const butter_net_reply_v1* net_reply = nullptr;              // NULL on hosts older than butter.net.reply/1
  const butter_net_sealed_v1* net_sealed = nullptr;            // NULL on hosts older than butter.net.sealed/1
  const butter_net_peer_lookup_v1* net_peer_lookup = nullptr;  // NULL on hosts older than butter.net.peer_lookup/1
  const butter_datagram_v1* datagram = nullptr;
  const butter_fd_v1* fd = nullptr;
  const butter_http_v1* http = nullptr;
  const butter_metrics_v1* metrics = nullptr;
  const butter_services_v1* services = nullptr;
  const butter_events_v1* events = nullptr;
  const butter_identity_v1* identity = nullptr;
};

class Core;

// A registered callback. `release` tells the host to stop calling it (cancel, close, unwatch...).
struct Slot {
  virtual ~Slot() = default;
  virtual void release() noexcept {}
  Core* core = nullptr;
  std::uint64_t key = 0;  // the wrapper's key, unique per instance, never reused
  std::uint64_t id = 0;   // the host's id for it (timer id, socket id, route id...), if any
};

class Core {
 public:
  explicit Core(const butter_host* h) noexcept : host(h) { fetch_extensions(); }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;
  ~Core() {
    // Slot destructors run user captures, which may call back into release()/find(): empty the
    // containers first, then destroy.
    auto slots = std::move(slots_);
    slots_.clear();
    auto graveyard = std::move(graveyard_);
    graveyard_.clear();
    graveyard.clear();
    slots.clear();
  }

  const butter_host* host;
  Extensions ext;

  void fetch_extensions() noexcept {
    if (!host || !host->get_extension) return;
    auto get = [this](const char* id) { return host->get_extension(host, id); };
    ext.log = static_cast<const butter_log_v1*>(get(BUTTER_EXT_LOG));
    ext.node = static_cast<const butter_node_v1*>(get(BUTTER_EXT_NODE));
    ext.config = static_cast<const butter_config_v1*>(get(BUTTER_EXT_CONFIG));
    ext.timer = static_cast<const butter_timer_v1*>(get(BUTTER_EXT_TIMER));
    ext.net = static_cast<const butter_net_v1*>(get(BUTTER_EXT_NET));
    ext.net_reply = static_cast<const butter_net_reply_v1*>(get(BUTTER_EXT_NET_REPLY));
    ext.net_sealed = static_cast<const butter_net_sealed_v1*>(get(BUTTER_EXT_NET_SEALED));
    ext.net_peer_lookup = static_cast<const butter_net_peer_lookup_v1*>(get(BUTTER_EXT_NET_PEER_LOOKUP));
    ext.datagram = static_cast<const butter_datagram_v1*>(get(BUTTER_EXT_DATAGRAM));
    ext.fd = static_cast<const butter_fd_v1*>(get(BUTTER_EXT_FD));
    ext.http = static_cast<const butter_http_v1*>(get(BUTTER_EXT_HTTP));
    ext.metrics = static_cast<const butter_metrics_v1*>(get(BUTTER_EXT_METRICS));
    ext.services = static_cast<const butter_services_v1*>(get(BUTTER_EXT_SERVICES));
    ext.events = static_cast<const butter_events_v1*>(get(BUTTER_EXT_EVENTS));
    ext.identity = static_cast<const butter_identity_v1*>(get(BUTTER_EXT_IDENTITY));
  }

  // The vtable, or throws Error(BUTTER_E_UNSUPPORTED) naming the missing extension.
  template <class V>
  const V& need(const V* v, const char* id) const {
    if (!v) throw Error(BUTTER_E_UNSUPPORTED, std::string("the host does not offer ") + id);
    return *v;
  }

  // --- slots ---------------------------------------------------------------------------------
  template <class S>
  S& add(std::unique_ptr<S> s) {
    S& ref = *s;
    s->core = this;
    s->key = ++next_key_;
    slots_.emplace(ref.key, std::move(s));
    return ref;
  }
  template <class S = Slot>
  S* find(std::uint64_t key) const noexcept {
    auto it = slots_.find(key);
    return it == slots_.end() ? nullptr : static_cast<S*>(it->second.get());
  }
  // Forgets a slot without telling the host (it already forgot it: a fired one-shot, a completed
  // request). Deferred while a callback runs.
  void drop(std::uint64_t key) noexcept {
    auto it = slots_.find(key);
    if (it == slots_.end()) return;
    std::unique_ptr<Slot> s = std::move(it->second);
    slots_.erase(it);
    if (depth_ > 0) {
      try {
        graveyard_.push_back(std::move(s));
      } catch (...) {
        // Out of memory: leak the slot rather than free code that may be running.
        (void)s.release();
      }
    }
  }
  // Tells the host to stop calling the slot, then forgets it.
  void release(std::uint64_t key) noexcept {
    if (Slot* s = find(key)) {
      s->release();
      drop(key);
    }
  }

  // Marks "a callback is running"; the outermost one frees the graveyard on exit.
  class Scope {
   public:
    explicit Scope(Core& c) noexcept : c_(c) { ++c_.depth_; }
    ~Scope() {
      if (--c_.depth_ != 0) return;
      // Freeing a slot runs the destructors of its captures, which may drop more slots: park
      // those too (depth 1 again) and loop until nothing is left.
      while (!c_.graveyard_.empty()) {
        auto g = std::move(c_.graveyard_);
        c_.graveyard_.clear();
        ++c_.depth_;
        g.clear();
        --c_.depth_;
      }
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Core& c_;
  };

  // --- logging and the exception guard ---------------------------------------------------------
  void write_log(int32_t level, std::string_view msg) const noexcept {
    if (ext.log) {
      ext.log->log(host, level, to_c(msg));
    } else {
      std::fprintf(stderr, "[butter plugin] %.*s\n", static_cast<int>(msg.size()), msg.data());
    }
  }
  bool log_enabled(int32_t level) const noexcept { return !ext.log || ext.log->enabled(host, level) != 0; }

  // Logs "<where>: <what>" at ERROR.
  void report(std::string_view where, std::string_view what) const noexcept {
    try {
      std::string line;
      line.reserve(where.size() + what.size() + 2);
      line.append(where).append(": ").append(what);
      write_log(BUTTER_LOG_ERROR, line);
    } catch (...) {
      write_log(BUTTER_LOG_ERROR, what);
    }
  }

  // Logs "<prefix> <where>: <what>" at ERROR.
  void report(std::string_view prefix, std::string_view where, std::string_view what) const noexcept {
    try {
      std::string line;
      line.append(prefix).append(" ").append(where);
      report(line, what);
    } catch (...) {
      write_log(BUTTER_LOG_ERROR, what);
    }
  }

  // Runs f; an exception is logged and swallowed (for callbacks that return nothing).
  template <class F>
  void guarded(std::string_view where, F&& f) noexcept {
    Scope scope(*this);
    try {
      std::forward<F>(f)();
    } catch (const std::exception& e) {
      report(where, e.what());
    } catch (...) {
      report(where, "unknown exception");
    }
  }

  // Runs f; an exception becomes a status (Error's code, else `generic`) and fills `err`.
  template <class F>
  butter_status guarded_status(std::string_view where, butter_error* err, butter_status generic, F&& f) noexcept {
    Scope scope(*this);
    try {
      std::forward<F>(f)();
      return BUTTER_OK;
    } catch (const Error& e) {
      report(where, e.what());
      return butter_error_set(err, e.code(), e.what());
    } catch (const std::exception& e) {
      report(where, e.what());
      return butter_error_set(err, generic, e.what());
    } catch (...) {
      report(where, "unknown exception");
      return butter_error_set(err, generic, "unknown exception");
    }
  }

  // --- per-module state ------------------------------------------------------------------------
  std::map<std::string, std::uint64_t, std::less<>> net_handlers;  // protocol -> slot key
  std::map<std::string, const void*, std::less<>> provided;        // interface id -> vtable
  std::uint64_t reply_client = 0;  // slot key of the storage()/search() reply client (reply_client.hpp)

 private:
  std::unordered_map<std::uint64_t, std::unique_ptr<Slot>> slots_;
  std::vector<std::unique_ptr<Slot>> graveyard_;
  int depth_ = 0;
  std::uint64_t next_key_ = 0;
};

// Base of the RAII handles (Timer, DatagramSocket, FdWatch, Subscription): movable, releases its
// slot on destruction. A handle must not outlive its plugin instance (keep it in a member).
class SlotHandle {
 public:
  SlotHandle() = default;
  SlotHandle(Core* core, std::uint64_t key) noexcept : core_(core), key_(key) {}
  SlotHandle(SlotHandle&& o) noexcept : core_(o.core_), key_(std::exchange(o.key_, 0)) {}
  SlotHandle& operator=(SlotHandle&& o) noexcept {
    if (this != &o) {
      reset();
      core_ = o.core_;
      key_ = std::exchange(o.key_, 0);
    }
    return *this;
  }
  SlotHandle(const SlotHandle&) = delete;
  SlotHandle& operator=(const SlotHandle&) = delete;
  ~SlotHandle() { reset(); }

  // True while the host may still call the callback.
  bool active() const noexcept { return key_ != 0 && core_ && core_->find(key_) != nullptr; }
  // Keeps the callback registered until the instance stops, and empties this handle.
  void detach() noexcept { key_ = 0; }

 protected:
  void reset() noexcept {
    if (key_ && core_) core_->release(key_);
    key_ = 0;
  }
  Slot* slot() const noexcept { return key_ && core_ ? core_->find(key_) : nullptr; }
  Core* core_ = nullptr;
  std::uint64_t key_ = 0;
};

}  // namespace butter::detail
