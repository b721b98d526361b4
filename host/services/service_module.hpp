// A host service as a module: the extensions one service file serves (id -> vtable) and the
// release of what an instance registered with it. host_extensions.cpp answers
// butter_host.get_extension and runs the releases from the list below, so a new extension is one
// file (defining `const ServiceModule& <file>_module()`) and one line in that list.
#pragma once
#include <butter/butter.h>

#include <span>
#include <string_view>

namespace butter::host {

class PluginInstance;

struct ExtensionEntry {
  std::string_view id;  // BUTTER_EXT_..., e.g. "butter.log/1"
  const void* vtable;   // what butter_host.get_extension returns for it
};

struct ServiceModule {
  std::span<const ExtensionEntry> extensions;
  // Cancels everything `instance` registered with this service, on stop and isolation (null: the
  // service keeps nothing per instance).
  void (*release)(PluginInstance& instance);
};

// Every service file, by name. Releases run in this order on stop and isolation (timers first,
// connections' protection tags last).
#define BUTTER_HOST_SERVICE_MODULES(X) \
  X(log_service)                       \
  X(node_service)                      \
  X(config_service)                    \
  X(timer_service)                     \
  X(net_service)                       \
  X(net_peer_lookup_service)           \
  X(datagram_service)                  \
  X(fd_service)                        \
  X(http_service)                      \
  X(http2_service)                     \
  X(metrics_service)                   \
  X(services_broker)                   \
  X(events_service)                    \
  X(identity_service)                  \
  X(streams_service)                   \
  X(connections_service)               \
  X(punch_service)

#define BUTTER_HOST_DECLARE_SERVICE_MODULE(file) const ServiceModule& file##_module();
BUTTER_HOST_SERVICE_MODULES(BUTTER_HOST_DECLARE_SERVICE_MODULE)
#undef BUTTER_HOST_DECLARE_SERVICE_MODULE

}  // namespace butter::host
