// butter.log/1: plugin log lines go to spdlog, tagged with the node and the instance.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

#include <spdlog/spdlog.h>

namespace butter::host {
namespace {

spdlog::level::level_enum to_spdlog(int32_t level) {
  switch (level) {
    case BUTTER_LOG_TRACE:
      return spdlog::level::trace;
    case BUTTER_LOG_DEBUG:
      return spdlog::level::debug;
    case BUTTER_LOG_WARN:
      return spdlog::level::warn;
    case BUTTER_LOG_ERROR:
      return spdlog::level::err;
    default:
      return spdlog::level::info;
  }
}

void log_log(const butter_host* host, int32_t level, butter_str msg) {
  guarded_void<Caller::AnyThread>(host, "log.log", [&](PluginInstance& inst) {
    std::string_view text(msg.data ? msg.data : "", msg.data ? msg.len : 0);
    // Plugin text is an argument, never the format string (fmt would interpret braces).
    spdlog::log(to_spdlog(level), "[{}] {}: {}", inst.core().manifest.node.name, inst.name(), text);
  });
}

int32_t log_enabled(const butter_host*, int32_t level) { return spdlog::should_log(to_spdlog(level)) ? 1 : 0; }

const butter_log_v1 kLog = {log_log, log_enabled};

}  // namespace

const butter_log_v1* log_extension() { return &kLog; }

const ServiceModule& log_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_LOG, &kLog}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
