// tp-throwing-handler: a misbehaving third-party plugin written in C++ against the raw C ABI, with
// no wrapper. Plugin id "test.throwing-handler": it starts fine and handles "/test/throw/1", but
// its handler throws std::runtime_error through the C boundary while a request is being served.
//
// Proves that a plugin failing at run time (not only at start) is isolated: the requester gets an
// error answer instead of waiting for its deadline, and the node keeps serving other plugins.
#include "tp_raw_plugin.hpp"

#include <butter/butter.h>

#include <cstring>
#include <stdexcept>

namespace {

const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor),
    BUTTER_ABI_VERSION_INIT,
    "test.throwing-handler",
    "Throwing handler",
    "Butter tests",
    "1.0.0",
    "its request handler throws",
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    0,
    nullptr,
    0,
    0,
};

void on_request(void*, const butter_net_message*) { throw std::runtime_error("tp-throwing-handler: handler throws"); }

butter_status init(tp::RawInstance& self, butter_error* err) {
  auto* net = static_cast<const butter_net_v1*>(self.host->get_extension(self.host, BUTTER_EXT_NET));
  if (!net) return butter_error_set(err, BUTTER_E_UNSUPPORTED, "no butter.net/1");
  const char* proto = "/test/throw/1";
  return net->handle(self.host, butter_str{proto, std::strlen(proto)}, on_request, &self, err);
}

const tp::RawHooks hooks = {.init = init};

}  // namespace

TP_RAW_PLUGIN(descriptor, hooks)
