// butter.timer/1: steady timers on the node's strand, one-shot or periodic.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

namespace butter::host {
namespace {

void arm(NodeCore& core, std::uint64_t id, std::chrono::milliseconds delay);

void fire(NodeCore& core, std::uint64_t id) {
  auto it = core.timers.find(id);
  if (it == core.timers.end()) return;
  TimerEntry entry = it->second;  // copy: the callback may cancel or set timers
  auto owner = entry.owner.lock();
  if (!owner || !owner->active()) {
    core.timers.erase(it);
    return;
  }
  if (entry.period.count() > 0) {
    arm(core, id, entry.period);
  } else {
    core.timers.erase(it);
    owner->registrations().timers.erase(id);
  }
  owner->invoke("timer callback", [&] { entry.fn(entry.user, id); });
}

void arm(NodeCore& core, std::uint64_t id, std::chrono::milliseconds delay) {
  auto it = core.timers.find(id);
  if (it == core.timers.end()) return;
  auto timer = it->second.timer;
  timer->expires_after(delay);
  // Handlers hold the core weakly: one may still be queued when the node is torn down.
  timer->async_wait([weak = core.weak_from_this(), id, timer](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled
    if (auto core = weak.lock()) fire(*core, id);
  });
}

butter_status timer_set(const butter_host* host, uint64_t delay_ms, uint64_t period_ms, butter_timer_fn fn, void* user,
                        uint64_t* out_id) {
  return guarded<Caller::Active>(host, "timer.set", fn != nullptr, BUTTER_E_NOMEM, [&](PluginInstance& inst) {
    // Bound delays to ~10 years so that durations cannot overflow.
    constexpr uint64_t kMax = 10ull * 365 * 24 * 3600 * 1000;
    if (delay_ms > kMax || period_ms > kMax) return BUTTER_E_INVALID;
    NodeCore& core = inst.core();
    std::uint64_t id = core.fresh_id();
    TimerEntry entry;
    entry.owner = inst.weak_from_this();
    entry.timer = std::make_shared<boost::asio::steady_timer>(core.strand);
    entry.period = std::chrono::milliseconds(period_ms);
    entry.fn = fn;
    entry.user = user;
    core.timers.emplace(id, std::move(entry));
    inst.registrations().timers.insert(id);
    arm(core, id, std::chrono::milliseconds(delay_ms));
    if (out_id) *out_id = id;
    return BUTTER_OK;
  });
}

void timer_cancel(const butter_host* host, uint64_t id) {
  guarded_void<Caller::NodeThread>(host, "timer.cancel", [&](PluginInstance& inst) {
    NodeCore& core = inst.core();
    auto it = core.timers.find(id);
    if (it == core.timers.end() || it->second.owner.lock().get() != &inst) return;
    it->second.timer->cancel();
    core.timers.erase(it);
    inst.registrations().timers.erase(id);
  });
}

uint64_t timer_now_ms(const butter_host*) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

const butter_timer_v1 kTimer = {timer_set, timer_cancel, timer_now_ms};

}  // namespace

const butter_timer_v1* timer_extension() { return &kTimer; }

void release_timers(PluginInstance& instance) {
  NodeCore& core = instance.core();
  for (auto id : instance.registrations().timers) {
    auto it = core.timers.find(id);
    if (it == core.timers.end()) continue;
    it->second.timer->cancel();
    core.timers.erase(it);
  }
}

const ServiceModule& timer_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_TIMER, &kTimer}};
  static constexpr ServiceModule kModule{kExtensions, &release_timers};
  return kModule;
}

}  // namespace butter::host
