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
//                     BUTTER_E_INTERNAL elsewhere); otherwise what the body returns. An entry point
//                     whose published answers for a refused caller differ states them (Refusals).
//   guarded_pure   -> butter_status, for an entry point that needs no caller (identity.verify):
//                     the body's answer, or on_exception when it throws.
//   guarded_value  -> T: `fallback` when refused (for Caller::Active and AnyThreadActive, inactive
//                     counts as refused) or when the body throws (getters: 0, "").
//   guarded_void   -> void: the body is skipped when refused; a throw is swallowed (cancels, closes).
//   guarded_reporting -> butter_status, as guarded, for entry points that also report through a
//                     butter_error: every answer but the body's own fills `err` with why (see below).
#pragma once
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/extensions.hpp"

#include <butter/butter.h>

#include <cstdio>
#include <exception>
#include <type_traits>
#include <utility>

namespace butter::host {

// Which caller an entry point serves.
enum class Caller {
  AnyThread,        // [any-thread] functions: the instance behind the handle (instance_of)
  NodeThread,       // [node] functions: the instance, called on its node's strand (node_instance_of)
  Active,           // NodeThread, and the instance is active (inactive: BUTTER_E_UNAVAILABLE)
  AnyThreadActive,  // AnyThread, and the instance is active (host.post: the way in from any thread)
  Transport,        // active_transport_caller: active, on a node with a transport (see caller_refusal)
};

// What guarded answers for a refused caller. The defaults are the adapter's; an entry point that
// published other answers before it came onto the adapter states its own, so that no plugin sees
// a different status (net.peer answers BUTTER_E_INVALID for an inactive caller, identity.sign
// BUTTER_E_UNAVAILABLE for an unknown handle).
struct Refusals {
  butter_status no_caller = BUTTER_E_INVALID;     // an unknown host handle, or a [node] call off the node's thread
  butter_status inactive = BUTTER_E_UNAVAILABLE;  // an inactive caller where one is needed (Transport: or no transport)
};

namespace entry_point_detail {

template <Caller needs>
PluginInstance* find_caller(const butter_host* host, const char* function) {
  if constexpr (needs == Caller::AnyThread || needs == Caller::AnyThreadActive) {
    return instance_of(host);
  } else if constexpr (needs == Caller::Transport) {
    return active_transport_caller(host, function);
  } else {
    return node_instance_of(host, function);
  }
}

// Whether the entry point refuses an inactive caller.
template <Caller needs>
constexpr bool needs_active = needs == Caller::Active || needs == Caller::AnyThreadActive;

// The caller when it may call at all (for getters and cancels, which answer no status): an
// inactive one counts as refused where the entry point needs an active one.

template <Caller needs>
PluginInstance* allowed_caller(const butter_host* host, const char* function) {
  PluginInstance* inst = find_caller<needs>(host, function);
  if constexpr (needs_active<needs>) {
    if (inst && !inst->active()) return nullptr;
  }
  return inst;
}

// Why a call was refused with BUTTER_E_INVALID when the entry point gave no message of its own.
inline const char* invalid_why(const butter_host* host, const PluginInstance* caller) {
  if (caller) return "invalid arguments";
  return instance_of(host) ? "called from a thread that is not the node's" : "unknown host handle";
}

// Fills `err` with "<function>: <what>" and returns `code`. Runs inside a catch block, possibly
// for a std::bad_alloc: it must not allocate.
inline butter_status report_exception(butter_error* err, butter_status code, const char* function,
                                      const char* what) noexcept {
  char message[BUTTER_ERROR_MESSAGE_SIZE];
  std::snprintf(message, sizeof message, "%s: %s", function, what);
  return butter_error_set(err, code, message);
}

}  // namespace entry_point_detail

// `function` names the call in the log line of an off-thread refusal (e.g. "timer.set").
// `args_valid` false (arguments checked alongside the caller, such as a missing callback) answers
// BUTTER_E_INVALID once the caller is looked up (so an off-thread call is logged as before), and
// before a missing or inactive caller's answer; a Transport caller's refusal comes before it.
template <Caller needs, class Body>
butter_status guarded(const butter_host* host, const char* function, bool args_valid, Refusals refused,
                      butter_status on_exception, Body&& body) noexcept {
  static_assert(std::is_invocable_r_v<butter_status, Body&, PluginInstance&>,
                "an entry point's body takes the calling PluginInstance& and returns a butter_status");
  try {
    PluginInstance* inst = entry_point_detail::find_caller<needs>(host, function);
    if constexpr (needs == Caller::Transport) {
      if (!inst) return caller_refusal(host) == BUTTER_E_UNAVAILABLE ? refused.inactive : refused.no_caller;
    }
    if (!args_valid) return BUTTER_E_INVALID;
    if (!inst) return refused.no_caller;
    if constexpr (entry_point_detail::needs_active<needs>) {
      if (!inst->active()) return refused.inactive;
    }
    return body(*inst);
  } catch (...) {
    return on_exception;
  }
}

template <Caller needs, class Body>
butter_status guarded(const butter_host* host, const char* function, bool args_valid, butter_status on_exception,
                      Body&& body) noexcept {
  return guarded<needs>(host, function, args_valid, Refusals{}, on_exception, std::forward<Body>(body));
}

template <Caller needs, class Body>
butter_status guarded(const butter_host* host, const char* function, butter_status on_exception, Body&& body) noexcept {
  return guarded<needs>(host, function, true, on_exception, std::forward<Body>(body));
}

// An entry point that is a function of its arguments alone (identity.verify answers for any
// handle, even none): no caller is looked up; a throw answers on_exception.
template <class Body>
butter_status guarded_pure(butter_status on_exception, Body&& body) noexcept {
  static_assert(std::is_invocable_r_v<butter_status, Body&>, "the body takes nothing and returns a butter_status");
  try {
    return body();
  } catch (...) {
    return on_exception;
  }
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

// guarded for an entry point that reports through a butter_error (datagram.open, fd.watch,
// http.route, ...). The answers are guarded's, and each fills `err` (butter_error_set: a null or
// too-small `err` is left alone):
//   no caller, or args_valid false   BUTTER_E_INVALID, `invalid_why`; when null, the refusal says
//                                    which: "unknown host handle", "called from a thread that is
//                                    not the node's" (or "invalid arguments")
//   an inactive caller where one is needed, or a Transport caller on a node without transport
//                                    BUTTER_E_UNAVAILABLE, "the instance is not active" (as net's)
//   a throw                          on_exception, "<function>: <the exception's what()>"
// The body fills `err` itself for the answers it gives.
template <Caller needs, class Body>
butter_status guarded_reporting(const butter_host* host, const char* function, butter_error* err, bool args_valid,
                                const char* invalid_why, butter_status on_exception, Body&& body) noexcept {
  static_assert(std::is_invocable_r_v<butter_status, Body&, PluginInstance&>,
                "an entry point's body takes the calling PluginInstance& and returns a butter_status");
  static constexpr const char* kInactive = "the instance is not active";
  try {
    PluginInstance* inst = entry_point_detail::find_caller<needs>(host, function);
    if constexpr (needs == Caller::Transport) {
      if (!inst && caller_refusal(host) == BUTTER_E_UNAVAILABLE) {
        return butter_error_set(err, BUTTER_E_UNAVAILABLE, kInactive);
      }
    }
    if (!inst || !args_valid) {
      return butter_error_set(err, BUTTER_E_INVALID,
                              invalid_why ? invalid_why : entry_point_detail::invalid_why(host, inst));
    }
    if constexpr (entry_point_detail::needs_active<needs>) {
      if (!inst->active()) return butter_error_set(err, BUTTER_E_UNAVAILABLE, kInactive);
    }
    return body(*inst);
  } catch (const std::exception& e) {
    return entry_point_detail::report_exception(err, on_exception, function, e.what());
  } catch (...) {
    return entry_point_detail::report_exception(err, on_exception, function, "unknown exception");
  }
}

// The arguments valid (or checked by the body): a refused caller says why it was refused.
template <Caller needs, class Body>
butter_status guarded_reporting(const butter_host* host, const char* function, butter_error* err,
                                butter_status on_exception, Body&& body) noexcept {
  return guarded_reporting<needs>(host, function, err, true, nullptr, on_exception, std::forward<Body>(body));
}

}  // namespace butter::host
