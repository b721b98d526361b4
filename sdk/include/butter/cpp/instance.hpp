// butter/cpp/instance.hpp — butter::Plugin, the base class of a C++ plugin instance.
//
// Override init/start/stop (all [node], serial: no locks needed); use the accessors for the host's
// services. The factory creates one object per node with `new T(ctx)`, so derive with
// `using Plugin::Plugin;` (or take a butter::Context and pass it on).
//
// Boundary rules the wrapper keeps for you:
//   - every exception is caught where the host called in, logged through butter.log/1 and turned
//     into a status: init/start fail with the message (butter::Error carries its own code,
//     anything else is BUTTER_E_INTERNAL); callbacks without a status are logged;
//   - every callback lives in this object (never dangles) and is released by its handle, by
//     unhandle/unroute, or when the instance is destroyed;
//   - state: override BOTH save_state() and load_state() and the wrapper serves butter.state/1;
//     otherwise get_extension("butter.state/1") is NULL;
//   - interfaces for other plugins: provide("butter.peers/1", &vtable) in the constructor or init;
//     the vtable's functions get `const butter_plugin*` back: Plugin::from<Mine>(p) gives the
//     object, butter::guard<Mine>(p, fn) also catches exceptions.
#pragma once

#include <butter/cpp/config.hpp>
#include <butter/cpp/core.hpp>
#include <butter/cpp/datagram.hpp>
#include <butter/cpp/events.hpp>
#include <butter/cpp/fd.hpp>
#include <butter/cpp/http.hpp>
#include <butter/cpp/identity.hpp>
#include <butter/cpp/log.hpp>
#include <butter/cpp/metrics.hpp>
#include <butter/cpp/net.hpp>
#include <butter/cpp/node.hpp>
#include <butter/cpp/search.hpp>
#include <butter/cpp/services.hpp>
#include <butter/cpp/storage.hpp>
#include <butter/cpp/timer.hpp>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

namespace butter {

// What the factory hands a new instance. Pass it on to Plugin's constructor unchanged.
struct Context {
  const butter_host* host = nullptr;
  const butter_plugin_descriptor* descriptor = nullptr;
  bool serves_state = false;  // set by the factory when the class overrides save/load_state
};

class Plugin {
 public:
  explicit Plugin(Context ctx) noexcept : core_(ctx.host), serves_state_(ctx.serves_state) {
    c_.desc = ctx.descriptor;
    c_.plugin_data = this;
    c_.init = &Plugin::c_init;
    c_.start = &Plugin::c_start;
    c_.stop = &Plugin::c_stop;
    c_.destroy = &Plugin::c_destroy;
    c_.get_extension = &Plugin::c_get_extension;
  }
  virtual ~Plugin() = default;
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // --- lifecycle: override what you need -----------------------------------------------------
  // Read config, register handlers and routes. Throw to fail (the message reaches the host).
  virtual void init() {}
  // Begin work: required interfaces are started now. Throw to fail.
  virtual void start() {}
  // Stop work; must not block. The host then cancels what is left.
  virtual void stop() {}
  // State for hot swap: override both to serve butter.state/1. Start the string with your own
  // schema version ("echo-state/1 ..."); load_state throws to refuse a state (BUTTER_E_INVALID
  // unless a butter::Error says otherwise). save runs on the old instance after stop, load on
  // the new one between init and start.
  virtual std::string save_state() { return {}; }
  virtual void load_state(std::string_view /*state*/) {}

  // --- the host's services --------------------------------------------------------------------
  Log log() const noexcept { return Log(&core_); }
  Node node() const noexcept { return Node(&core_); }
  Config config() const noexcept { return Config(&core_, c_.desc); }
  Metrics metrics() const noexcept { return Metrics(&core_); }
  Services services() const noexcept { return Services(&core_); }
  Net net() noexcept { return Net(&core_); }
  Http http() noexcept { return Http(&core_); }
  Datagrams datagram() noexcept { return Datagrams(&core_); }
  Fds fd() noexcept { return Fds(&core_); }
  Events events() noexcept { return Events(&core_); }
  Identity identity() const noexcept { return Identity(&core_); }
  // Interfaces other plugins provide, with the reply convention handled (storage.hpp, search.hpp).
  Storage storage() noexcept { return Storage(&core_); }
  Search search() noexcept { return Search(&core_); }

  // Net shortcuts (see net.hpp).
  template <class F>
  void on(std::string_view protocol, F&& fn) {
    net().on(protocol, std::forward<F>(fn));
  }
  void unhandle(std::string_view protocol) { net().unhandle(protocol); }
  Status send(std::string_view peer, std::string_view protocol, Bytes payload) {
    return net().send(peer, protocol, payload);
  }
  Status send_sealed(std::string_view peer, std::string_view protocol, Bytes head, Bytes sealed) {
    return net().send_sealed(peer, protocol, head, sealed);
  }
  template <class Rep, class Period>
  Status request(std::string_view peer, std::string_view protocol, Bytes payload,
                 std::chrono::duration<Rep, Period> timeout, ResponseHandler fn) {
    return net().request(peer, protocol, payload, timeout, std::move(fn));
  }
  Status connect(std::string_view uri, ConnectHandler fn) { return net().connect(uri, std::move(fn)); }
  Status add_address(std::string_view node_id, std::string_view endpoint) {
    return net().add_address(node_id, endpoint);
  }
  std::vector<PeerInfo> peers() { return net().peers(); }
  std::optional<PeerInfo> peer(std::string_view node_id) { return net().peer(node_id); }
  void on_peer(PeerHandler fn) { net().on_peer(std::move(fn)); }

  // Timers (see timer.hpp): `every` first fires after one period.
  template <class Rep, class Period>
  Timer every(std::chrono::duration<Rep, Period> period, std::function<void()> fn) {
    const std::uint64_t ms = detail::to_ms(period);
    if (ms == 0) throw Error(BUTTER_E_INVALID, "timer period must be > 0");
    return detail::set_timer(core_, ms, ms, std::move(fn));
  }
  template <class Rep, class Period>
  Timer after(std::chrono::duration<Rep, Period> delay, std::function<void()> fn) {
    // The delay converted first, as in every(): with the conversion inside it, the call stays
    // dependent until instantiation and clang-tidy takes fn, moved into it, for a copy.
    const std::uint64_t ms = detail::to_ms(delay);
    return detail::set_timer(core_, ms, 0, std::move(fn));
  }
  // The node's monotonic clock (virtual in simulations).
  std::chrono::milliseconds now() const {
    return std::chrono::milliseconds(core_.need(core_.ext.timer, BUTTER_EXT_TIMER).now_ms(core_.host));
  }

  // [any-thread] Runs `fn` on the node's executor: the only way in from a thread you started.
  // Returns BUTTER_E_UNAVAILABLE (and drops fn) when the instance is stopping.
  Status post(std::function<void()> fn) const {
    if (!core_.host || !core_.host->post) return Status(BUTTER_E_UNSUPPORTED);
    auto job = std::make_unique<Posted>(Posted{const_cast<Plugin*>(this), std::move(fn)});
    Posted* raw = job.get();
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      posted_.emplace(raw, std::move(job));
    }
    const butter_status st = core_.host->post(core_.host, &Plugin::c_posted, raw);
    if (st != BUTTER_OK) {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      posted_.erase(raw);
    }
    return Status(st);
  }

  // Serves interface `id` (listed in the descriptor's provides) with a static vtable.
  void provide(std::string_view id, const void* vtable) { core_.provided[std::string(id)] = vtable; }

  // --- identity -------------------------------------------------------------------------------
  const butter_host* host() const noexcept { return core_.host; }
  const butter_plugin* c_plugin() const noexcept { return &c_; }
  const butter_plugin_descriptor* descriptor() const noexcept { return c_.desc; }
  // The C++ object behind a butter_plugin this wrapper created (for provided vtables).
  template <class T = Plugin>
  static T* from(const butter_plugin* p) noexcept {
    return p ? static_cast<T*>(static_cast<Plugin*>(p->plugin_data)) : nullptr;
  }

  // Runs `f` with the exception guard of this instance; returns its status (Error's code, else
  // `generic`). For the functions of provided vtables.
  template <class F>
  butter_status guarded(std::string_view where, F&& f, butter_status generic = BUTTER_E_INTERNAL) noexcept {
    return core_.guarded_status(where, nullptr, generic, std::forward<F>(f));
  }

 private:
  // A posted job is owned here until it runs: when the instance stops first, the host drops the
  // call and the job is freed with the instance instead of leaking.
  struct Posted {
    Plugin* self;
    std::function<void()> fn;
  };
  static void c_posted(void* user) noexcept {
    auto* raw = static_cast<Posted*>(user);
    Plugin* self = raw->self;
    std::unique_ptr<Posted> job;
    {
      std::lock_guard<std::mutex> lock(self->posted_mutex_);
      auto it = self->posted_.find(raw);
      if (it == self->posted_.end()) return;
      job = std::move(it->second);
      self->posted_.erase(it);
    }
    self->core_.guarded("posted function", [&] { job->fn(); });
  }
  mutable std::mutex posted_mutex_;
  mutable std::map<Posted*, std::unique_ptr<Posted>> posted_;

  static butter_status c_init(const butter_plugin* p, butter_error* err) noexcept {
    Plugin* self = from(p);
    self->core_.fetch_extensions();  // the host may serve more once the instance is set up
    return self->core_.guarded_status("init", err, BUTTER_E_INTERNAL, [&] { self->init(); });
  }
  static butter_status c_start(const butter_plugin* p, butter_error* err) noexcept {
    Plugin* self = from(p);
    return self->core_.guarded_status("start", err, BUTTER_E_INTERNAL, [&] { self->start(); });
  }
  static void c_stop(const butter_plugin* p) noexcept {
    Plugin* self = from(p);
    self->core_.guarded("stop", [&] { self->stop(); });
  }
  static void c_destroy(const butter_plugin* p) noexcept {
    Plugin* self = from(p);
    try {
      delete self;
    } catch (...) {
      // A destructor that throws is a bug; the instance is gone either way.
    }
  }
  static const void* c_get_extension(const butter_plugin* p, const char* id) noexcept {
    Plugin* self = from(p);
    if (!self || !id) return nullptr;
    if (self->serves_state_ && std::strcmp(id, BUTTER_EXT_STATE) == 0) return &state_vtable;
    auto it = self->core_.provided.find(std::string_view(id));
    return it == self->core_.provided.end() ? nullptr : it->second;
  }

  static butter_status c_save(const butter_plugin* p, const butter_ostream* out) noexcept {
    Plugin* self = from(p);
    butter_status written = BUTTER_OK;
    const butter_status st = self->core_.guarded_status("save_state", nullptr, BUTTER_E_INTERNAL, [&] {
      const std::string state = self->save_state();
      written = out->write(out, Bytes(state).c());
    });
    return st != BUTTER_OK ? st : written;
  }
  static butter_status c_load(const butter_plugin* p, const butter_istream* in, butter_error* err) noexcept {
    Plugin* self = from(p);
    return self->core_.guarded_status("load_state", err, BUTTER_E_INVALID, [&] {
      std::string state;
      std::uint8_t buf[4096];
      for (;;) {
        std::size_t n = 0;
        const butter_status st = in->read(in, buf, sizeof buf, &n);
        if (st != BUTTER_OK) throw Error(st, std::string("reading the state: ") + status_name(st));
        if (n == 0) break;
        state.append(reinterpret_cast<const char*>(buf), n);
      }
      self->load_state(state);
    });
  }
  static constexpr butter_state_v1 state_vtable = {&Plugin::c_save, &Plugin::c_load};

  mutable detail::Core core_;  // declared first among the data: destroyed after c_ and flags
  bool serves_state_ = false;
  butter_plugin c_{};
};

// Runs `f(self)` for the instance behind `p` with its exception guard; for provided vtables:
//   butter_status my_remove(const butter_plugin* p, butter_str id) {
//     return butter::guard<MyCache>(p, [&](MyCache& self) { self.remove(butter::to_sv(id)); });
//   }
template <class T, class F>
butter_status guard(const butter_plugin* p, F&& f, butter_status generic = BUTTER_E_INTERNAL) noexcept {
  T* self = Plugin::from<T>(p);
  if (!self) return BUTTER_E_INVALID;
  return self->guarded(
      "provided interface", [&] { std::forward<F>(f)(*self); }, generic);
}

}  // namespace butter
