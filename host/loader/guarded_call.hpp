// Calls into plugin code behind a try/catch(...). The ABI says no exception crosses it, but a
// plugin written in C++ without the SDK's wrapper may throw anyway; the host must survive that.
#pragma once
#include <exception>
#include <string>
#include <utility>

namespace butter::host {

// Runs `f()`. Returns true when it returned normally; false when it threw, with a description of
// what was thrown in `what` (copied, so it outlives the plugin's exception object).
template <class F>
bool guarded_call(F&& f, std::string& what) noexcept {
  try {
    std::forward<F>(f)();
    return true;
  } catch (const std::exception& e) {
    try {
      what = std::string("threw ") + e.what();
    } catch (...) {
      what = "threw a std::exception whose what() failed";
    }
  } catch (...) {
    what = "threw an exception that is not a std::exception";
  }
  return false;
}

}  // namespace butter::host
