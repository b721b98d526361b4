// run_guarded: runs a callback the transport's user supplied (a plugin's handler, a caller's
// completion). An exception it throws is logged and swallowed: it must never unwind into Asio or
// through the transport's bookkeeping halfway through an update.
#pragma once
#include <spdlog/spdlog.h>

#include <exception>
#include <string>
#include <utility>

namespace butter::host {

// True when `f` returned normally. `log` prefixes the line ("[transport 1a2b3c4d]"), `what` names
// the callback.
template <class F>
bool run_guarded(const std::string& log, const char* what, F&& f) noexcept {
  try {
    std::forward<F>(f)();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("{} {} callback threw: {}", log, what, e.what());
  } catch (...) {
    spdlog::error("{} {} callback threw a non-exception", log, what);
  }
  return false;
}

}  // namespace butter::host
