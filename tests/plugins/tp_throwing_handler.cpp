// tp-throwing-handler: a misbehaving third-party plugin written in C++ against the raw C ABI, with
// no wrapper. Plugin id "test.throwing-handler": it starts fine and handles "/test/throw/1", but
// its handler throws std::runtime_error through the C boundary while a request is being served.
//
// Proves that a plugin failing at run time (not only at start) is isolated: the requester gets an
// error answer instead of waiting for its deadline, and the node keeps serving other plugins.
#include <butter/butter.h>

#include <cstring>
#include <stdexcept>

namespace {

const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor), BUTTER_ABI_VERSION_INIT,
    "test.throwing-handler", "Throwing handler", "Butter tests", "1.0.0", "its request handler throws",
    nullptr, nullptr, nullptr, nullptr, 0, nullptr, 0, 0,
};

struct Instance {
  butter_plugin plugin;
  const butter_host* host;
};

void on_request(void*, const butter_net_message*) { throw std::runtime_error("tp-throwing-handler: handler throws"); }

butter_status p_init(const butter_plugin* p, butter_error* err) {
  auto* self = static_cast<Instance*>(p->plugin_data);
  auto* net = static_cast<const butter_net_v1*>(self->host->get_extension(self->host, BUTTER_EXT_NET));
  if (!net) return butter_error_set(err, BUTTER_E_UNSUPPORTED, "no butter.net/1");
  const char* proto = "/test/throw/1";
  return net->handle(self->host, butter_str{proto, std::strlen(proto)}, on_request, self, err);
}
butter_status p_start(const butter_plugin*, butter_error*) { return BUTTER_OK; }
void p_stop(const butter_plugin*) {}
void p_destroy(const butter_plugin* p) { delete static_cast<Instance*>(p->plugin_data); }
const void* p_get_extension(const butter_plugin*, const char*) { return nullptr; }

uint32_t f_count(const butter_plugin_factory*) { return 1; }
const butter_plugin_descriptor* f_get_descriptor(const butter_plugin_factory*, uint32_t i) {
  return i == 0 ? &descriptor : nullptr;
}
const butter_plugin* f_create(const butter_plugin_factory*, const butter_host* host, const char*) {
  auto* self = new Instance{};
  self->host = host;
  self->plugin.desc = &descriptor;
  self->plugin.plugin_data = self;
  self->plugin.init = p_init;
  self->plugin.start = p_start;
  self->plugin.stop = p_stop;
  self->plugin.destroy = p_destroy;
  self->plugin.get_extension = p_get_extension;
  return &self->plugin;
}
const butter_plugin_factory factory = {f_count, f_get_descriptor, f_create};

int e_init(const char*) { return 1; }
void e_deinit() {}
const void* e_get_factory(const char* id) {
  return std::strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : nullptr;
}

}  // namespace

extern "C" BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit,
                                                                   e_get_factory};
