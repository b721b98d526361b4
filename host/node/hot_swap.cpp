// Hot swap: Node::replace_plugin and the strand-side sequence (see hot_swap.hpp).
#include "node/hot_swap.hpp"

#include "node/node.hpp"
#include "instance/plugin_instance.hpp"
#include "services/net_dispatch.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace butter::host {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

std::atomic<std::uint64_t> g_generation{0};

bool in_shadow_directory(const std::string& path) {
  return fs::path(path).parent_path() == fs::path(shadow_directory());
}

// What the strand side hands back to the calling thread.
struct SwapOutcome {
  Error error;
  bool swapped = false;
  bool rolled_back = false;
  bool state_saved = false;
  std::size_t state_bytes = 0;
  std::size_t held = 0;
  std::size_t unanswered = 0;
  double drain_us = 0, pause_us = 0, hold_us = 0;
  Clock::time_point serving_at;
  // Dropped by the calling thread, off the strand (the library's deinit runs there).
  std::shared_ptr<PluginInstance> retired;
  std::shared_ptr<PluginInstance> failed;
};

// One swap on the node's strand: hold, drain, swap, release.
class SwapJob : public std::enable_shared_from_this<SwapJob> {
 public:
  SwapJob(std::shared_ptr<NodeCore> core, std::string instance, std::shared_ptr<PluginLibrary> lib,
          const PluginInfo* info, SwapOptions options)
      : core_(std::move(core)),
        instance_(std::move(instance)),
        lib_(std::move(lib)),
        info_(info),
        options_(options),
        timer_(core_->strand) {}

  std::future<SwapOutcome> run() {
    auto fut = done_.get_future();
    boost::asio::post(core_->strand, [self = shared_from_this()] { self->begin(); });
    return fut;
  }

 private:
  void begin() {
    NodeCore& core = *core_;
    for (std::size_t i = 0; i < core.instances.size(); ++i) {
      if (core.instances[i]->name() == instance_) index_ = i;
    }
    if (index_ == npos) return finish_error(Error::make(BUTTER_E_NOT_FOUND, "no running instance '" + instance_ + "'"));
    old_ = core.instances[index_];
    if (old_->state() != InstanceState::Started) {
      return finish_error(Error::make(BUTTER_E_UNAVAILABLE, std::string("instance '") + instance_ + "' is " +
                                                                instance_state_name(old_->state()) + ", not started"));
    }
    if (core.stopping || !core.transport)
      return finish_error(Error::make(BUTTER_E_UNAVAILABLE, "the node is stopping"));
    held_ = old_->registrations().protocols;
    for (const auto& p : held_) core.held_protocols.insert(p);
    hold_start_ = Clock::now();
    drain_deadline_ = hold_start_ + options_.drain_timeout;
    drain();
  }

  // Waits (on the strand, polling every millisecond) until the old instance has answered every
  // request it accepted, or the drain timeout passes.
  void drain() {
    if (old_->registrations().reply_tokens.empty() || Clock::now() >= drain_deadline_ || !old_->active()) {
      outcome_.drain_us = us_between(hold_start_, Clock::now());
      return swap();
    }
    timer_.expires_after(std::chrono::milliseconds(1));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->drain(); });
  }

  // Activates a new instance of `lib`/`info` with `state`; returns it, or null and `err`.
  std::shared_ptr<PluginInstance> activate(const std::shared_ptr<PluginLibrary>& lib, const PluginInfo& info,
                                           const std::string* state, Error& err) {
    auto inst = std::make_shared<PluginInstance>(*core_, old_->spec(), lib, info);
    if (!(err = inst->create()) && !(err = inst->init()) && !(state && (err = inst->load_state(*state))) &&
        !(err = inst->start())) {
      return inst;
    }
    inst->stop();  // cancels what init registered and destroys it (a no-op when create failed)
    outcome_.failed = inst;
    return nullptr;
  }

  void swap() {
    NodeCore& core = *core_;
    const std::string& node = core.manifest.node.name;
    auto t0 = Clock::now();
    outcome_.unanswered = old_->registrations().reply_tokens.size();
    if (outcome_.unanswered) {
      spdlog::warn("[{}] hot swap of '{}': {} accepted request(s) still unanswered after {} ms; they get UNAVAILABLE",
                   node, instance_, outcome_.unanswered, options_.drain_timeout.count());
    }
    std::string state;
    bool saved = false;
    if (Error e = old_->stop_and_save(state, saved)) {
      spdlog::warn(
          "[{}] hot swap of '{}': the old instance could not save its state ({}); the new one starts without it", node,
          instance_, e.message);
    }
    outcome_.state_saved = saved;
    outcome_.state_bytes = state.size();

    Error err;
    auto fresh = activate(lib_, *info_, saved ? &state : nullptr, err);
    if (fresh) {
      outcome_.swapped = true;
    } else {
      outcome_.error = Error::make(err.code ? err.code : BUTTER_E_INTERNAL, "the new build failed: " + err.message);
      spdlog::error("[{}] hot swap of '{}' rolled back: {}", node, instance_, outcome_.error.message);
      Error rb_err;
      fresh = activate(old_->library(), old_->info(), saved ? &state : nullptr, rb_err);
      if (fresh) {
        outcome_.rolled_back = true;
        spdlog::info("[{}] plugin '{}': the old build ({} {}) serves again{}", node, instance_, old_->info().id,
                     old_->info().version, saved ? ", with its state" : "");
      } else {
        // Nothing serves: keep the failed instance in the list so that /status shows why.
        spdlog::error("[{}] plugin '{}': the old build could not be restarted either ({}); the node runs without it",
                      node, instance_, rb_err.message);
        fresh = outcome_.failed;
      }
    }
    core.instances[index_] = fresh;
    outcome_.retired = std::move(old_);  // the job may outlive this call on the strand: hold nothing
    lib_.reset();
    outcome_.pause_us = us_between(t0, Clock::now());
    release_hold();
    outcome_.serving_at = Clock::now();
    done_.set_value(std::move(outcome_));
  }

  // Dispatches the frames held for our protocols, in arrival order, to whoever handles them now.
  void release_hold() {
    NodeCore& core = *core_;
    for (const auto& p : held_) core.held_protocols.erase(p);
    std::deque<HeldFrame> mine, others;
    for (auto& f : core.held_frames) (held_.count(f.protocol) ? mine : others).push_back(std::move(f));
    core.held_frames.swap(others);
    outcome_.held = mine.size();
    outcome_.hold_us = us_between(hold_start_, Clock::now());
    for (auto& f : mine) {
      if (f.is_request) {
        dispatch_request(core, f.from, f.protocol, f.payload, f.token);
      } else {
        dispatch_message(core, f.from, f.protocol, f.payload);
      }
    }
  }

  void finish_error(Error e) {
    outcome_.error = std::move(e);
    old_.reset();
    lib_.reset();
    done_.set_value(std::move(outcome_));
  }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::shared_ptr<NodeCore> core_;
  std::string instance_;
  std::shared_ptr<PluginLibrary> lib_;
  const PluginInfo* info_;
  SwapOptions options_;
  boost::asio::steady_timer timer_;
  std::promise<SwapOutcome> done_;
  SwapOutcome outcome_;
  std::size_t index_ = npos;
  std::shared_ptr<PluginInstance> old_;
  std::set<std::string> held_;
  Clock::time_point hold_start_, drain_deadline_;
};

}  // namespace

std::string shadow_directory() {
  std::error_code ec;
  fs::path dir = fs::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  return (dir / ("butter-dev-" + std::to_string(::getpid()))).string();
}

std::string make_shadow_copy(const std::string& file, Error& err, std::uint64_t* generation) {
  const std::uint64_t gen = ++g_generation;
  if (generation) *generation = gen;
  std::error_code ec;
  fs::path dir = shadow_directory();
  fs::create_directories(dir, ec);
  if (ec) {
    err = Error::make(BUTTER_E_INTERNAL, "cannot create " + dir.string() + ": " + ec.message());
    return {};
  }
  if (!fs::is_regular_file(file, ec)) {
    err = Error::make(BUTTER_E_NOT_FOUND, file + ": no such file");
    return {};
  }
  fs::path dest = dir / (fs::path(file).stem().string() + "." + std::to_string(gen) + ".so");
  fs::copy_file(file, dest, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    err = Error::make(BUTTER_E_INTERNAL, "cannot copy " + file + " to " + dest.string() + ": " + ec.message());
    return {};
  }
  return dest.string();
}

Error Node::replace_plugin(const std::string& instance, const std::string& new_file, SwapReport* report,
                           const SwapOptions& options) {
  const auto t0 = Clock::now();
  SwapReport local;
  SwapReport& r = report ? *report : local;
  r = SwapReport{};
  r.instance = instance;
  r.new_file = new_file;
  const std::string& node = core_->manifest.node.name;
  auto fail = [&](Error e) {
    r.error = e.message;
    r.total_us = us_between(t0, Clock::now());
    spdlog::error("[{}] hot swap of '{}' from {} refused: {}; the old build keeps serving", node, instance, new_file,
                  e.message);
    return e;
  };

  if (!running_) return fail(Error::make(BUTTER_E_UNAVAILABLE, "the node is not running"));
  PreparedPlugin* pp = nullptr;
  for (auto& p : prepared_) {
    if (p.spec.instance == instance) pp = &p;
  }
  if (!pp) return fail(Error::make(BUTTER_E_NOT_FOUND, "no plugin instance '" + instance + "' in this node"));

  // 1. Off the strand: shadow copy, load (pre-flight, ABI gate, descriptors), same id, config.
  Error err;
  r.shadow_file = make_shadow_copy(new_file, err, &r.generation);
  if (r.shadow_file.empty()) return fail(err);
  auto lib = PluginLibrary::load(r.shadow_file, err);
  auto discard_shadow = [&] {
    std::error_code ec;
    fs::remove(r.shadow_file, ec);
  };
  if (!lib) {
    discard_shadow();
    return fail(err);
  }
  const std::string& id = pp->info->id;
  const PluginInfo* info = lib->find(id);
  if (!info) {
    std::string offered;
    for (const auto& p : lib->plugins()) offered += (offered.empty() ? "" : ", ") + p.id;
    lib.reset();
    discard_shadow();
    return fail(Error::make(BUTTER_E_INVALID, new_file + " offers " + offered + ", not " + id));
  }
  Diagnostics diags;
  validate_plugin_config(pp->spec, info->config_schema, diags);
  if (!diags.items.empty()) {
    lib.reset();
    discard_shadow();
    return fail(Error::make(BUTTER_E_INVALID, "the new build refuses the instance's config: " + diags.to_string()));
  }
  r.load_us = us_between(t0, Clock::now());

  // 2-4. On the strand.
  auto job = std::make_shared<SwapJob>(core_, instance, lib, info, options);
  SwapOutcome out = job->run().get();
  job.reset();
  r.total_us = us_between(t0, out.serving_at == Clock::time_point{} ? Clock::now() : out.serving_at);
  r.swapped = out.swapped;
  r.rolled_back = out.rolled_back;
  r.state_handed_over = out.state_saved && (out.swapped || out.rolled_back);
  r.state_bytes = out.state_bytes;
  r.held_frames = out.held;
  r.unanswered_after_drain = out.unanswered;
  r.drain_us = out.drain_us;
  r.pause_us = out.pause_us;
  r.hold_us = out.hold_us;

  // 5. Retire the library that no longer serves, off the strand.
  std::shared_ptr<PluginLibrary> retired_lib;
  if (out.swapped) {
    retired_lib = out.retired ? out.retired->library() : nullptr;
    pp->library = lib;
    pp->info = info;
    spdlog::info("[{}] plugin '{}' swapped to {} ({} {}, generation {}) in {:.1f} ms; {} frame(s) held, state {}", node,
                 instance, new_file, info->id, info->version, r.generation, r.total_us / 1000.0, r.held_frames,
                 r.state_handed_over ? std::to_string(r.state_bytes) + " bytes" : std::string("none"));
  } else {
    retired_lib = lib;
  }
  lib.reset();
  info = nullptr;
  out.retired.reset();
  out.failed.reset();
  if (retired_lib) {
    registry_.forget(retired_lib);
    const std::string path = retired_lib->path();
    std::weak_ptr<PluginLibrary> weak = retired_lib;
    retired_lib.reset();  // deinit + dlclose here, when nothing else holds it
    bool resident = PluginLibrary::is_resident(path);
    if (resident) {
      // A task posted on the strand (an isolated instance's deferred destroy) may still hold it.
      on_strand([] { return 0; });
      resident = PluginLibrary::is_resident(path);
    }
    r.old_unloaded = !resident;
    if (resident) {
      spdlog::warn("[{}] hot swap of '{}': {} is still resident after unloading{}", node, instance, path,
                   weak.expired() ? " (a static object or a thread of the plugin keeps it; build with -fno-gnu-unique)"
                                  : " (another node still uses it)");
    } else if (in_shadow_directory(path)) {
      std::error_code ec;
      fs::remove(path, ec);
    }
  }
  if (!out.swapped) {
    r.error = out.error.message;
    return out.error ? out.error : Error::make(BUTTER_E_INTERNAL, "the swap did not happen");
  }
  return {};
}

}  // namespace butter::host
