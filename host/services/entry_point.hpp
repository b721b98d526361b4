// How a service's C entry point runs its body: the calling instance is looked up (and refused when
// it may not call), then the body runs with it, and no C++ exception ever leaves through the C ABI.
// A new entry point is its body alone:
//
//   butter_status timer_set(const butter_host* host, ...) {
//     return guarded<Caller::Active>(host, "timer.set", fn != nullptr, BUTTER_E_NOMEM,
//                                    [&](PluginInstance& inst) -> butter_status { ... });
//   }
//
// The answers, by flavour:
//   guarded        -> butter_status: no caller (unknown host handle, or off the node's thread) or
//                     args_valid false: BUTTER_E_INVALID; an inactive caller where one is needed:
//                     BUTTER_E_UNAVAILABLE; Caller::Transport refusals as caller_refusal says; a
//                     throw: on_exception (BUTTER_E_NOMEM where the body only allocates,
//                     BUTTER_E_INTERNAL elsewhere); otherwise what the body returns.
//   guarded_value  -> T: `fallback` when refused (for Caller::Active, inactive counts as refused)
//                     or when the body throws (getters: 0, "").
//   guarded_void   -> void: the body is skipped when refused; a throw is swallowed (cancels, closes).
#pragma once
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/extensions.hpp"

#include <butter/butter.h>

#include <type_traits>
#include <utility>

namespace butter::host {

// Which caller an entry point serves.
enum class Caller {
  AnyThread,   // [any-thread] functions: the instance behind the handle (instance_of)
  NodeThread,  // [node] functions: the instance, called on its node's strand (node_instance_of)
  Active,      // NodeThread, and the instance is active (inactive: BUTTER_E_UNAVAILABLE)
  Transport,   // active_transport_caller: active, on a node with a transport (see caller_refusal)
};

namespace entry_point_detail {

template <Caller needs>
PluginInstance* find_caller(const butter_host* host, const char* function) {
  if constexpr (needs == Caller::AnyThread) {
    return instance_of(host);
  } else if constexpr (needs == Caller::Transport) {
    return active_transport_caller(host, function);
  } else {
    return node_instance_of(host, function);
  }
}

// The caller when it may call at all (for getters and cancels, which answer no status): an
// inactive one counts as refused where the entry point needs an active one.
template <Caller needs>
PluginInstance* allowed_caller(const butter_host* host, const char* function) {
  PluginInstance* inst = find_caller<needs>(host, function);
  if constexpr (needs == Caller::Active) {
    if (inst && !inst->active()) return nullptr;
  }
  return inst;
}

}  // namespace entry_point_detail

// `function` names the call in the log line of an off-thread refusal (e.g. "timer.set").
// `args_valid` false (arguments checked alongside the caller, such as a missing callback) answers
// BUTTER_E_INVALID once the caller is found, so a refused call is logged as before.
template <Caller needs, class Body>
butter_status guarded(const butter_host* host, const char* function, bool args_valid, butter_status on_exception,
                      Body&& body) noexcept {
  static_assert(std::is_invocable_r_v<butter_status, Body&, PluginInstance&>,
                "an entry point's body takes the calling PluginInstance& and returns a butter_status");
  try {
    PluginInstance* inst = entry_point_detail::find_caller<needs>(host, function);
    if constexpr (needs == Caller::Transport) {
      if (!inst) return caller_refusal(host);
    }
    if (!inst || !args_valid) return BUTTER_E_INVALID;
    if constexpr (needs == Caller::Active) {
      if (!inst->active()) return BUTTER_E_UNAVAILABLE;
    }
    return body(*inst);
  } catch (...) {
    return on_exception;
  }
}

template <Caller needs, class Body>
butter_status guarded(const butter_host* host, const char* function, butter_status on_exception, Body&& body) noexcept {
  return guarded<needs>(host, function, true, on_exception, std::forward<Body>(body));
}

template <Caller needs, class T, class Body>
T guarded_value(const butter_host* host, const char* function, T fallback, Body&& body) noexcept {
  static_assert(std::is_invocable_r_v<T, Body&, PluginInstance&>,
                "the body takes the calling PluginInstance& and returns the entry point's value");
  try {
    PluginInstance* inst = entry_point_detail::allowed_caller<needs>(host, function);
    return inst ? static_cast<T>(body(*inst)) : fallback;
  } catch (...) {
    return fallback;
  }
}

template <Caller needs, class Body>
void guarded_void(const butter_host* host, const char* function, Body&& body) noexcept {
  static_assert(std::is_invocable_v<Body&, PluginInstance&>, "the body takes the calling PluginInstance&");
  try {
    if (PluginInstance* inst = entry_point_detail::allowed_caller<needs>(host, function)) body(*inst);
  } catch (...) {
  }
}

}  // namespace butter::host
