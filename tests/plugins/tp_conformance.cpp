// tp-conformance: a plugin ("test.conformance") that runs the host conformance cases
// (tests/support/host_conformance.hpp) in start(), on the node's thread, and publishes each as a
// gauge: tp_conformance_<case> = 1 when the node did what the SDK header says, else 0; and
// tp_conformance_cases = how many ran. The same cases run against the SDK's fake host in the unit
// tests: together they keep butter/testing.hpp true to the node.
#include "support/host_conformance.hpp"
#include "tp_raw_plugin.hpp"

#include <butter/butter.h>

#include <string>

namespace {

const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor),
    BUTTER_ABI_VERSION_INIT,
    "test.conformance",
    "Host conformance cases",
    "Butter tests",
    "1.0.0",
    "checks the node's refusals and limits against the SDK headers",
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    0,
    nullptr,
    0,
    0,
};

butter_str str(const std::string& s) { return butter_str{s.data(), s.size()}; }

butter_status start(tp::RawInstance& self, butter_error*) {
  const butter_host* host = self.host;
  const auto cases = butter::test::run_host_conformance(host);
  auto* metrics = static_cast<const butter_metrics_v1*>(host->get_extension(host, BUTTER_EXT_METRICS));
  if (!metrics) return BUTTER_E_UNSUPPORTED;
  for (const auto& c : cases) metrics->gauge_set(host, str("tp_conformance_" + c.name), c.held ? 1 : 0);
  metrics->gauge_set(host, str("tp_conformance_cases"), static_cast<double>(cases.size()));
  return BUTTER_OK;
}

const tp::RawHooks hooks = {.start = start};

}  // namespace

TP_RAW_PLUGIN(descriptor, hooks)
