// butter/cpp/timer.hpp — "butter.timer/1": timers as lambdas, cancelled by their handle.
//
//   tick_ = every(std::chrono::seconds(1), [this] { poll(); });   // first run after 1 s
//   once_ = after(std::chrono::milliseconds(50), [this] { retry(); });
//
// The returned Timer cancels on destruction (or cancel()), so keep it in a member; detach() lets
// it run until the instance stops. A callback may cancel its own timer. An exception thrown by a
// callback is logged; a periodic timer keeps running. [node]
#pragma once

#include <butter/cpp/core.hpp>

#include <chrono>

namespace butter {

class [[nodiscard]] Timer : public detail::SlotHandle {
 public:
  Timer() = default;
  Timer(detail::Core* core, std::uint64_t key) noexcept : SlotHandle(core, key) {}
  // Cancels the timer; its callback is not called again. Harmless when already fired or empty.
  void cancel() noexcept { reset(); }
};

namespace detail {

struct TimerSlot : Slot {
  std::function<void()> fn;
  bool periodic = false;
  void release() noexcept override {
    if (core->ext.timer && id) core->ext.timer->cancel(core->host, id);
  }
  static void fired(void* user, std::uint64_t) noexcept {
    auto* s = static_cast<TimerSlot*>(user);
    Core& c = *s->core;
    Core::Scope scope(c);  // keeps `s` alive even if the callback cancels the timer
    c.guarded("timer callback", [&] { s->fn(); });
    if (!s->periodic) c.drop(s->key);  // the host forgot a fired one-shot
  }
};

inline std::uint64_t to_ms(std::chrono::nanoseconds d) noexcept {
  if (d.count() <= 0) return 0;
  return static_cast<std::uint64_t>(std::chrono::ceil<std::chrono::milliseconds>(d).count());
}

inline Timer set_timer(Core& c, std::uint64_t delay_ms, std::uint64_t period_ms, std::function<void()> fn) {
  const auto& vt = c.need(c.ext.timer, BUTTER_EXT_TIMER);
  if (!fn) throw Error(BUTTER_E_INVALID, "timer callback is empty");
  auto owned = std::make_unique<TimerSlot>();
  owned->fn = std::move(fn);
  owned->periodic = period_ms > 0;
  TimerSlot& s = c.add(std::move(owned));
  std::uint64_t id = 0;
  const butter_status st = vt.set(c.host, delay_ms, period_ms, &TimerSlot::fired, &s, &id);
  if (st != BUTTER_OK) {
    c.drop(s.key);
    throw Error(st, std::string("timer: ") + status_name(st));
  }
  s.id = id;
  return Timer(&c, s.key);
}

}  // namespace detail
}  // namespace butter
