// butter_host.get_extension and post, and the cleanup that stop/isolation runs: the first and the
// last from the list of service modules (service_module.hpp).
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

#include <boost/asio/post.hpp>

#include <cstring>
#include <string_view>

namespace butter::host {

namespace {

// The service modules (service_module.hpp), in their list's order.
using ServiceModuleFn = const ServiceModule& (*)();
#define BUTTER_HOST_SERVICE_MODULE_FN(file) &file##_module,
constexpr ServiceModuleFn kServiceModules[] = {BUTTER_HOST_SERVICE_MODULES(BUTTER_HOST_SERVICE_MODULE_FN)};
#undef BUTTER_HOST_SERVICE_MODULE_FN

}  // namespace

const void* host_get_extension(const butter_host* host, const char* id) {
  if (!host || !id) return nullptr;
  const std::string_view want(id);
  for (ServiceModuleFn module : kServiceModules)
    for (const ExtensionEntry& e : module().extensions)
      if (e.id == want) return e.vtable;
  return nullptr;
}

PluginInstance* active_transport_caller(const butter_host* host, const char* function) {
  auto* inst = node_instance_of(host, function);
  if (!inst || !inst->active() || !inst->core().transport) return nullptr;
  return inst;
}

butter_status caller_refusal(const butter_host* host) {
  auto* inst = instance_of(host);
  return !inst || !inst->on_node_thread() ? BUTTER_E_INVALID : BUTTER_E_UNAVAILABLE;
}

butter_status host_post(const butter_host* host, void (*fn)(void* user), void* user) {
  return guarded<Caller::AnyThreadActive>(host, "post", fn != nullptr, BUTTER_E_NOMEM, [&](PluginInstance& inst) {
    std::weak_ptr<PluginInstance> weak = inst.weak_from_this();
    boost::asio::post(inst.core().strand, [weak, fn, user] {
      if (auto self = weak.lock()) self->invoke("posted function", [&] { fn(user); });
    });
    return BUTTER_OK;
  });
}

void release_instance_registrations(PluginInstance& instance) {
  for (ServiceModuleFn module : kServiceModules)
    if (auto release = module().release) release(instance);
}

const ServiceTable& host_service_table() {
  static const ServiceTable table{&host_get_extension, &host_post, &release_instance_registrations};
  return table;
}

}  // namespace butter::host
