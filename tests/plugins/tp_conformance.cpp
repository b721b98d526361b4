// tp-conformance: a plugin ("test.conformance") that runs the host conformance cases
// (tests/support/host_conformance.hpp) in start(), on the node's thread, and publishes each as a
// gauge: tp_conformance_<case> = 1 when the node did what the SDK header says, else 0; and
// tp_conformance_cases = how many ran. The same cases run against the SDK's fake host in the unit
// tests: together they keep butter/testing.hpp true to the node.
#include "support/host_conformance.hpp"

#include <butter/butter.h>

#include <cstring>
#include <new>
#include <string>

namespace {

const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor), BUTTER_ABI_VERSION_INIT,
    "test.conformance", "Host conformance cases", "Butter tests", "1.0.0",
    "checks the node's refusals and limits against the SDK headers", nullptr, nullptr, nullptr, nullptr, 0, nullptr, 0,
    0,
};

struct Plugin {
  butter_plugin base;
  const butter_host* host;
};

butter_str str(const std::string& s) { return butter_str{s.data(), s.size()}; }

butter_status p_init(const butter_plugin*, butter_error*) { return BUTTER_OK; }

butter_status p_start(const butter_plugin* p, butter_error*) {
  const butter_host* host = reinterpret_cast<const Plugin*>(p)->host;
  const auto cases = butter::test::run_host_conformance(host);
  auto* metrics = static_cast<const butter_metrics_v1*>(host->get_extension(host, BUTTER_EXT_METRICS));
  if (!metrics) return BUTTER_E_UNSUPPORTED;
  for (const auto& c : cases) metrics->gauge_set(host, str("tp_conformance_" + c.name), c.held ? 1 : 0);
  metrics->gauge_set(host, str("tp_conformance_cases"), static_cast<double>(cases.size()));
  return BUTTER_OK;
}

void p_stop(const butter_plugin*) {}
void p_destroy(const butter_plugin* p) { delete reinterpret_cast<const Plugin*>(p); }
const void* p_get_extension(const butter_plugin*, const char*) { return nullptr; }

uint32_t f_count(const butter_plugin_factory*) { return 1; }
const butter_plugin_descriptor* f_get_descriptor(const butter_plugin_factory*, uint32_t i) {
  return i == 0 ? &descriptor : nullptr;
}
const butter_plugin* f_create(const butter_plugin_factory*, const butter_host* host, const char*) {
  auto* p = new (std::nothrow) Plugin{};
  if (!p) return nullptr;
  p->host = host;
  p->base.desc = &descriptor;
  p->base.init = p_init;
  p->base.start = p_start;
  p->base.stop = p_stop;
  p->base.destroy = p_destroy;
  p->base.get_extension = p_get_extension;
  return &p->base;
}
const butter_plugin_factory factory = {f_count, f_get_descriptor, f_create};

int e_init(const char*) { return 1; }
void e_deinit() {}
const void* e_get_factory(const char* id) { return std::strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : nullptr; }

}  // namespace

extern "C" BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit,
                                                                  e_get_factory};
