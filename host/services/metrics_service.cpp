// butter.metrics/1: plugin counters and gauges, labelled with the instance.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/extensions.hpp"

namespace butter::host {
namespace {

std::string_view view(butter_str s) { return s.data ? std::string_view(s.data, s.len) : std::string_view(); }

butter_status m_counter_add(const butter_host* host, butter_str name, uint64_t delta) {
  auto* inst = node_instance_of(host, "metrics.counter_add");
  if (!inst) return BUTTER_E_INVALID;
  if (!inst->active()) return BUTTER_E_UNAVAILABLE;
  try {
    return inst->core().metrics.counter_add(inst->name(), view(name), delta) ? BUTTER_OK : BUTTER_E_INVALID;
  } catch (...) {
    return BUTTER_E_NOMEM;
  }
}

butter_status m_gauge_set(const butter_host* host, butter_str name, double value) {
  auto* inst = node_instance_of(host, "metrics.gauge_set");
  if (!inst) return BUTTER_E_INVALID;
  if (!inst->active()) return BUTTER_E_UNAVAILABLE;
  try {
    return inst->core().metrics.gauge_set(inst->name(), view(name), value) ? BUTTER_OK : BUTTER_E_INVALID;
  } catch (...) {
    return BUTTER_E_NOMEM;
  }
}

butter_status m_describe(const butter_host* host, butter_str name, butter_str help) {
  auto* inst = node_instance_of(host, "metrics.describe");
  if (!inst) return BUTTER_E_INVALID;
  try {
    return inst->core().metrics.describe(view(name), view(help)) ? BUTTER_OK : BUTTER_E_INVALID;
  } catch (...) {
    return BUTTER_E_NOMEM;
  }
}

const butter_metrics_v1 kMetrics = {m_counter_add, m_gauge_set, m_describe};

}  // namespace

const butter_metrics_v1* metrics_extension() { return &kMetrics; }

}  // namespace butter::host
