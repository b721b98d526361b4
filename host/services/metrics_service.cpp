// butter.metrics/1: plugin counters and gauges, labelled with the instance.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

namespace butter::host {
namespace {

std::string_view view(butter_str s) { return s.data ? std::string_view(s.data, s.len) : std::string_view(); }

butter_status m_counter_add(const butter_host* host, butter_str name, uint64_t delta) {
  return guarded<Caller::Active>(host, "metrics.counter_add", BUTTER_E_NOMEM, [&](PluginInstance& inst) {
    return inst.core().metrics.counter_add(inst.name(), view(name), delta) ? BUTTER_OK : BUTTER_E_INVALID;
  });
}

butter_status m_gauge_set(const butter_host* host, butter_str name, double value) {
  return guarded<Caller::Active>(host, "metrics.gauge_set", BUTTER_E_NOMEM, [&](PluginInstance& inst) {
    return inst.core().metrics.gauge_set(inst.name(), view(name), value) ? BUTTER_OK : BUTTER_E_INVALID;
  });
}

butter_status m_describe(const butter_host* host, butter_str name, butter_str help) {
  return guarded<Caller::NodeThread>(host, "metrics.describe", BUTTER_E_NOMEM, [&](PluginInstance& inst) {
    return inst.core().metrics.describe(view(name), view(help)) ? BUTTER_OK : BUTTER_E_INVALID;
  });
}

const butter_metrics_v1 kMetrics = {m_counter_add, m_gauge_set, m_describe};

}  // namespace

const butter_metrics_v1* metrics_extension() { return &kMetrics; }

const ServiceModule& metrics_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_METRICS, &kMetrics}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
