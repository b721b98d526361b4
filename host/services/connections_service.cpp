// butter.connections/1: protection tags for the connection manager and advertised endpoints;
// butter.connections.release/1: closing a connection dialled for a one-off use.
// Tags are kept per instance (owner key: the instance's address, unique while it lives, so that a
// hot-swapped instance of the same name never drops its successor's tags); release_connections
// drops an instance's tags and withdraws what it advertised when it stops.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

#include <butter/ext/connections.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace butter::host {
namespace {

std::string owner_key(const PluginInstance& inst) {
  return inst.name() + "@" + std::to_string(reinterpret_cast<std::uintptr_t>(&inst));
}

butter_status conns_protect(const butter_host* host, butter_str node_id, butter_str tag) {
  return guarded<Caller::Transport>(host, "connections.protect", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    auto id = node_id_of(node_id);
    std::string t = copy_str(tag);
    if (!id || t.empty() || t.size() > BUTTER_CONNECTIONS_MAX_TAG_BYTES) return BUTTER_E_INVALID;
    return inst.core().transport->protect(*id, owner_key(inst), t) ? BUTTER_OK : BUTTER_E_AGAIN;
  });
}

butter_status conns_unprotect(const butter_host* host, butter_str node_id, butter_str tag) {
  return guarded<Caller::Transport>(host, "connections.unprotect", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    auto id = node_id_of(node_id);
    if (!id) return BUTTER_E_INVALID;
    return inst.core().transport->unprotect(*id, owner_key(inst), copy_str(tag)) ? BUTTER_OK : BUTTER_E_NOT_FOUND;
  });
}

butter_status conns_info(const butter_host* host, butter_connections_info* out) {
  if (!out || out->struct_size < sizeof(uint32_t)) return BUTTER_E_INVALID;
  return guarded<Caller::Transport>(host, "connections.info", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    auto ci = inst.core().transport->conn_info();
    butter_connections_info full{};
    full.struct_size = sizeof full;
    full.low_water = static_cast<uint32_t>(ci.low_water);
    full.high_water = static_cast<uint32_t>(ci.high_water);
    full.peers = static_cast<uint32_t>(ci.peers);
    full.protected_peers = static_cast<uint32_t>(ci.protected_peers);
    const uint32_t n = std::min<uint32_t>(out->struct_size, sizeof full);
    std::memcpy(reinterpret_cast<char*>(out) + sizeof(uint32_t),
                reinterpret_cast<const char*>(&full) + sizeof(uint32_t), n - sizeof(uint32_t));
    return BUTTER_OK;
  });
}

butter_status conns_advertise(const butter_host* host, butter_str endpoint) {
  return guarded<Caller::Transport>(host, "connections.advertise", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    std::string ep = copy_str(endpoint);
    if (ep.size() > 255 || ep.find("://") == std::string::npos ||
        ep.find_first_of(std::string("\0 \r\n", 4)) != std::string::npos)
      return BUTTER_E_INVALID;
    auto& mine = inst.registrations().advertised;
    if (mine.count(ep)) return BUTTER_OK;
    if (!inst.core().transport->advertise(ep)) return BUTTER_E_AGAIN;
    mine.insert(ep);
    return BUTTER_OK;
  });
}

butter_status conns_withdraw(const butter_host* host, butter_str endpoint) {
  return guarded<Caller::Transport>(host, "connections.withdraw", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    std::string ep = copy_str(endpoint);
    if (!inst.registrations().advertised.erase(ep)) return BUTTER_E_NOT_FOUND;
    inst.core().transport->withdraw(ep);
    return BUTTER_OK;
  });
}

butter_status conns_release(const butter_host* host, butter_str node_id) {
  return guarded<Caller::Transport>(host, "connections.release", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    auto id = node_id_of(node_id);
    if (!id) return BUTTER_E_INVALID;
    return inst.core().transport->release_peer(*id) ? BUTTER_OK : BUTTER_E_NOT_FOUND;
  });
}

const butter_connections_v1 kConnections = {conns_protect, conns_unprotect, conns_info, conns_advertise,
                                            conns_withdraw};
const butter_connections_release_v1 kConnectionsRelease = {conns_release};

}  // namespace

const butter_connections_v1* connections_extension() { return &kConnections; }
const butter_connections_release_v1* connections_release_extension() { return &kConnectionsRelease; }

void release_connections(PluginInstance& instance) {
  auto& transport = instance.core().transport;
  if (!transport) return;
  transport->release_protection(owner_key(instance));
  for (const auto& ep : instance.registrations().advertised) transport->withdraw(ep);
  instance.registrations().advertised.clear();
}

const ServiceModule& connections_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_CONNECTIONS, &kConnections},
                                                   {BUTTER_EXT_CONNECTIONS_RELEASE, &kConnectionsRelease}};
  static constexpr ServiceModule kModule{kExtensions, &release_connections};
  return kModule;
}

}  // namespace butter::host
