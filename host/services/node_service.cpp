// butter.node/1: the node's id, name, uptime, memory budget, data dir and endpoints.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

namespace butter::host {
namespace {

butter_str node_id(const butter_host* host) {
  auto* inst = instance_of(host);
  return inst ? str_of(inst->core().id_hex) : butter_str{"", 0};
}

butter_str node_name(const butter_host* host) {
  auto* inst = instance_of(host);
  return inst ? str_of(inst->core().manifest.node.name) : butter_str{"", 0};
}

uint64_t node_uptime_ms(const butter_host* host) {
  auto* inst = instance_of(host);
  if (!inst) return 0;
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - inst->core().started_at)
          .count());
}

uint64_t node_memory_budget(const butter_host* host) {
  auto* inst = instance_of(host);
  return inst ? inst->core().manifest.node.memory_budget : 0;
}

butter_str node_data_dir(const butter_host* host) {
  return guarded_value<Caller::AnyThread>(host, "node.data_dir", butter_str{"", 0},
                                          [&](PluginInstance& inst) { return str_of(inst.data_dir()); });
}

uint32_t node_endpoint_count(const butter_host* host) {
  return guarded_value<Caller::NodeThread>(host, "node.endpoint_count", uint32_t{0}, [&](PluginInstance& inst) {
    if (!inst.core().transport) return uint32_t{0};
    return static_cast<uint32_t>(inst.core().transport->announced_endpoints().size());
  });
}

butter_str node_endpoint(const butter_host* host, uint32_t index) {
  return guarded_value<Caller::NodeThread>(host, "node.endpoint", butter_str{"", 0}, [&](PluginInstance& inst) {
    if (!inst.core().transport) return butter_str{"", 0};
    auto eps = inst.core().transport->announced_endpoints();
    if (index >= eps.size()) return butter_str{"", 0};
    std::string& slot = inst.scratch(static_cast<int>(index));
    slot = eps[index];
    return str_of(slot);
  });
}

butter_str node_instance_name(const butter_host* host) {
  auto* inst = instance_of(host);
  return inst ? str_of(inst->name()) : butter_str{"", 0};
}

const butter_node_v1 kNode = {node_id,       node_name,           node_uptime_ms, node_memory_budget,
                              node_data_dir, node_endpoint_count, node_endpoint,  node_instance_name};

}  // namespace

const butter_node_v1* node_extension() { return &kNode; }

const ServiceModule& node_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_NODE, &kNode}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
