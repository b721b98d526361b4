// tp-thread-rule: a plugin ("test.thread-rule") that breaks the thread rule on purpose: in start()
// it calls three [node] functions (timer.set, http.route, net.send) from a thread of its own, then
// the same three from the node's thread, and publishes each status as a gauge (node thread):
// tp_off_thread_{timer,http,net} and tp_on_thread_{timer,http,net}.
//
// Proves (in node tests) that the host refuses [node] calls made off the node's thread with
// BUTTER_E_INVALID, logs and counts them, and still serves the same calls made on its thread.
#include "tp_raw_plugin.hpp"

#include <butter/butter.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace {

const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor),
    BUTTER_ABI_VERSION_INIT,
    "test.thread-rule",
    "Thread rule breaker",
    "Butter tests",
    "1.0.0",
    "calls [node] functions from its own thread",
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    0,
    nullptr,
    0,
    0,
};

butter_str str(const char* s) { return butter_str{s, std::strlen(s)}; }

void on_timer(void*, uint64_t) {}
void on_http(void*, const butter_http_request*) {}

// The three calls; `path` differs per thread so that the second route is not refused as taken.
void three_calls(const butter_host* host, const char* path, butter_status out[3]) {
  auto* timer = static_cast<const butter_timer_v1*>(host->get_extension(host, BUTTER_EXT_TIMER));
  auto* http = static_cast<const butter_http_v1*>(host->get_extension(host, BUTTER_EXT_HTTP));
  auto* net = static_cast<const butter_net_v1*>(host->get_extension(host, BUTTER_EXT_NET));
  uint64_t id = 0;
  out[0] = timer->set(host, 60000, 0, on_timer, nullptr, &id);
  if (out[0] == BUTTER_OK) timer->cancel(host, id);
  out[1] = http->route(host, str("GET"), str(path), 0, on_http, nullptr, nullptr, nullptr);
  // A node id nobody has: from the node's thread this fails for that reason, not the thread.
  const char* nobody = "00000000000000000000000000000000000000000000000000000000000000aa";
  const uint8_t byte = 1;
  out[2] = net->send(host, str(nobody), str("/tp/thread-rule"), butter_bytes{&byte, 1}, nullptr);
}

butter_status start(tp::RawInstance& self, butter_error*) {
  const butter_host* host = self.host;
  butter_status off[3] = {BUTTER_OK, BUTTER_OK, BUTTER_OK}, on[3];
  // Joined before start returns: start must not block, but three host calls take microseconds.
  std::thread t([&] { three_calls(host, "/tp/off-thread", off); });
  t.join();
  three_calls(host, "/tp/on-thread", on);
  auto* metrics = static_cast<const butter_metrics_v1*>(host->get_extension(host, BUTTER_EXT_METRICS));
  const char* names[3] = {"timer", "http", "net"};
  for (int i = 0; i < 3; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "tp_off_thread_%s", names[i]);
    metrics->gauge_set(host, str(name), off[i]);
    std::snprintf(name, sizeof name, "tp_on_thread_%s", names[i]);
    metrics->gauge_set(host, str(name), on[i]);
  }
  return BUTTER_OK;
}

const tp::RawHooks hooks = {.start = start};

}  // namespace

TP_RAW_PLUGIN(descriptor, hooks)
