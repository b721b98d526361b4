// butter/testing/fake_timers.hpp — the fake host's butter.timer/1 on a clock the test moves:
// nothing fires until the test calls fire() or advance(). Part of fake_host.hpp.
#pragma once

#include <butter/testing/fake_core.hpp>

#include <cstdint>
#include <map>
#include <string_view>

namespace butter::testing {

template <class Host>
class FakeTimers {
 public:
  struct TimerRec {
    std::uint64_t delay, period;
    butter_timer_fn fn;
    void* user;
    std::uint64_t due = 0;  // now + delay when set
  };
  std::map<std::uint64_t, TimerRec> timers;  // the timers set and not cancelled (or fired, one-shot)

  // Fires timer `id` as the node would (a one-shot is forgotten first). False when unknown.
  bool fire(std::uint64_t id) {
    auto it = timers.find(id);
    if (it == timers.end()) return false;
    const TimerRec rec = it->second;
    if (rec.period == 0) timers.erase(it);
    rec.fn(rec.user, id);
    return true;
  }
  // The id of the only timer set; 0 when there are none or several.
  std::uint64_t only_timer() const { return timers.size() == 1 ? timers.begin()->first : 0; }
  // Moves the clock on by `ms` and fires, in due order, every timer due by then (periodic ones
  // once per call). Returns how many fired.
  int advance(std::uint64_t ms) {
    auto& now = static_cast<Host&>(*this).now;
    now += ms;
    int n = 0;
    for (int guard = 0; guard < 10000; ++guard) {
      std::uint64_t best = 0, best_due = 0;
      for (const auto& [id, t] : timers)
        if (t.due <= now && (best == 0 || t.due < best_due)) best = id, best_due = t.due;
      if (best == 0) break;
      if (timers[best].period) timers[best].due = now + timers[best].period;
      fire(best);
      ++n;
    }
    return n;
  }

 protected:
  static const void* extension(std::string_view id) {
    static const butter_timer_v1 vt = {&timer_set, &timer_cancel, &now_ms};
    return id == BUTTER_EXT_TIMER ? &vt : nullptr;
  }

 private:
  static butter_status timer_set(const butter_host* h, std::uint64_t delay, std::uint64_t period, butter_timer_fn fn,
                                 void* user, std::uint64_t* out) {
    Host& host = Host::of(h);
    if (!host.on_node_thread() || !fn) return BUTTER_E_INVALID;
    const std::uint64_t id = host.next_id();
    host.timers[id] = {delay, period, fn, user, host.now + delay};
    if (out) *out = id;
    return BUTTER_OK;
  }
  static void timer_cancel(const butter_host* h, std::uint64_t id) {
    Host& host = Host::of(h);
    if (host.on_node_thread()) host.timers.erase(id);
  }
  static std::uint64_t now_ms(const butter_host* h) { return Host::of(h).now; }
};

}  // namespace butter::testing
