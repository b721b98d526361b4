// How a plugin instance reaches the host's services without this layer knowing them: the functions
// behind its butter_host (get_extension, post) and the release of everything it registered with
// any service. services/ fills the table (host_service_table()); the node hands it to NodeCore.
// Layering: instance/ (a node's state and its plugin instances) <- services/ (the extensions,
// acting on that state) <- node/ (composition, hot swap) <- cli/. Nothing includes upwards.
#pragma once

#include <butter/butter.h>

namespace butter::host {

class PluginInstance;

struct ServiceTable {
  const void* (*get_extension)(const butter_host* host, const char* id) = nullptr;
  butter_status (*post)(const butter_host* host, void (*fn)(void* user), void* user) = nullptr;
  // Cancels everything `instance` registered with any service (on stop and isolation).
  void (*release_registrations)(PluginInstance& instance) = nullptr;
};

}  // namespace butter::host
