// The text of `butter inspect PLUGIN.so`: what a loaded plugin file offers, for people.
#pragma once
#include "loader/plugin_library.hpp"

#include <string>

namespace butter::host {

// File, ABI version, and per plugin: id, name, vendor, version, description, the interfaces it
// provides, requires and optionally uses, and its config keys (type, required, description).
std::string describe_library(const PluginLibrary& library);

}  // namespace butter::host
