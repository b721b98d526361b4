// butter/testing/fake_metrics.hpp — the fake host's butter.metrics/1 (counters, gauges and help
// texts recorded by name) and butter.services/1 (the providers the test registers). Part of
// fake_host.hpp.
#pragma once

#include <butter/testing/fake_core.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace butter::testing {

template <class Host>
class FakeMetrics {
 public:
  std::map<std::string, std::uint64_t> counters;
  std::map<std::string, double> gauges;
  std::map<std::string, std::string> help;

 protected:
  static const void* extension(std::string_view id) {
    static const butter_metrics_v1 vt = {&counter_add, &gauge_set, &describe};
    return id == BUTTER_EXT_METRICS ? &vt : nullptr;
  }

 private:
  static butter_status counter_add(const butter_host* h, butter_str name, std::uint64_t delta) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return BUTTER_E_INVALID;
    self.counters[to_string(name)] += delta;
    return BUTTER_OK;
  }
  static butter_status gauge_set(const butter_host* h, butter_str name, double v) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return BUTTER_E_INVALID;
    self.gauges[to_string(name)] = v;
    return BUTTER_OK;
  }
  static butter_status describe(const butter_host* h, butter_str name, butter_str text) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return BUTTER_E_INVALID;
    self.help[to_string(name)] = to_string(text);
    return BUTTER_OK;
  }
};

template <class Host>
class FakeServices {
 public:
  // Interface id -> provider; a vtable of NULL stands for a provider that is stopped or swapping.
  std::map<std::string, butter_service> services;

 protected:
  static const void* extension(std::string_view id) {
    static const butter_services_v1 vt = {&acquire};
    return id == BUTTER_EXT_SERVICES ? &vt : nullptr;
  }

 private:
  static butter_status acquire(const butter_host* h, const char* id, butter_service* out) {
    Host& self = Host::of(h);
    if (!self.on_node_thread() || !id || !out || out->struct_size < sizeof(butter_service)) return BUTTER_E_INVALID;
    auto it = self.services.find(id);
    if (it == self.services.end()) return BUTTER_E_NOT_FOUND;
    if (!it->second.vtable) return BUTTER_E_UNAVAILABLE;
    out->vtable = it->second.vtable;
    out->provider = it->second.provider;
    return BUTTER_OK;
  }
};

}  // namespace butter::testing
