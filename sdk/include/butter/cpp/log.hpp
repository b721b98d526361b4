// butter/cpp/log.hpp — "butter.log/1": `log().info("served {} in {} ms", id, ms)`.
// Lines go to the node's log, tagged with the node and the instance. Formatting is skipped when
// the level is disabled. Without the extension, lines go to stderr. [any-thread]
#pragma once

#include <butter/cpp/core.hpp>
#include <butter/cpp/format.hpp>

namespace butter {

enum class LogLevel : int32_t {
  Trace = BUTTER_LOG_TRACE,
  Debug = BUTTER_LOG_DEBUG,
  Info = BUTTER_LOG_INFO,
  Warn = BUTTER_LOG_WARN,
  Error = BUTTER_LOG_ERROR
};

class Log {
 public:
  explicit Log(const detail::Core* core) noexcept : core_(core) {}

  bool enabled(LogLevel level) const noexcept { return core_->log_enabled(static_cast<int32_t>(level)); }
  // Writes `msg` as is (no formatting).
  void write(LogLevel level, std::string_view msg) const noexcept {
    core_->write_log(static_cast<int32_t>(level), msg);
  }

  template <class... A>
  void trace(std::string_view fmt, const A&... a) const {
    emit(LogLevel::Trace, fmt, a...);
  }
  template <class... A>
  void debug(std::string_view fmt, const A&... a) const {
    emit(LogLevel::Debug, fmt, a...);
  }
  template <class... A>
  void info(std::string_view fmt, const A&... a) const {
    emit(LogLevel::Info, fmt, a...);
  }
  template <class... A>
  void warn(std::string_view fmt, const A&... a) const {
    emit(LogLevel::Warn, fmt, a...);
  }
  template <class... A>
  void error(std::string_view fmt, const A&... a) const {
    emit(LogLevel::Error, fmt, a...);
  }

 private:
  template <class... A>
  void emit(LogLevel level, std::string_view fmt, const A&... a) const {
    if (enabled(level)) write(level, format(fmt, a...));
  }
  const detail::Core* core_;
};

}  // namespace butter
