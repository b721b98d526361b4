// butter.services/1: the broker that hands out other instances' interfaces for one callback.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

namespace butter::host {

std::shared_ptr<PluginInstance> NodeCore::provider_of(const std::string& interface_id) const {
  for (const auto& inst : instances) {
    for (const auto& p : inst->info().provides) {
      if (p == interface_id) return inst;
    }
  }
  return nullptr;
}

namespace {

butter_status svc_acquire(const butter_host* host, const char* interface_id, butter_service* out) {
  const bool args_valid = interface_id && out && out->struct_size >= sizeof(butter_service);
  return guarded<Caller::NodeThread>(
      host, "services.acquire", args_valid, BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
        auto provider = inst.core().provider_of(interface_id);
        if (!provider) return BUTTER_E_NOT_FOUND;
        // Only a started provider serves; one being initialised, replaced, stopped or isolated does not.
        if (provider->state() != InstanceState::Started || !provider->plugin()) return BUTTER_E_UNAVAILABLE;
        const void* vtable = nullptr;
        const butter_plugin* p = provider->plugin();
        if (!provider->invoke("get_extension", [&] { vtable = p->get_extension(p, interface_id); })) {
          return BUTTER_E_UNAVAILABLE;
        }
        if (!vtable) return BUTTER_E_UNAVAILABLE;
        out->vtable = vtable;
        out->provider = p;
        return BUTTER_OK;
      });
}

const butter_services_v1 kServices = {svc_acquire};

}  // namespace

const butter_services_v1* services_extension() { return &kServices; }

const ServiceModule& services_broker_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_SERVICES, &kServices}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
