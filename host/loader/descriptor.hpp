// Reading a plugin's descriptor into C++ values, checking everything a malformed plugin could get
// wrong: size, ABI, id syntax, NULL or overlong strings, unbounded lists, unknown config types.
#pragma once
#include "core/status.hpp"
#include "loader/plugin_library.hpp"

#include <butter/plugin.h>

#include <cstddef>

namespace butter::host {

// The size of the ABI 1.0 descriptor: the least struct_size the host accepts.
inline constexpr std::size_t kDescriptorV1Size = sizeof(butter_plugin_descriptor);
// Bounds on what a descriptor may list (a missing NULL terminator is refused, not followed).
inline constexpr std::size_t kMaxListEntries = 64;
inline constexpr std::size_t kMaxConfigKeys = 64;
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kMaxTextBytes = 4096;

// Copies `d` into `out` (setting out.raw = d). On any problem returns BUTTER_E_INVALID (or
// BUTTER_E_UNSUPPORTED for another ABI major) with every problem found, joined by "; ".
Error read_descriptor(const butter_plugin_descriptor* d, PluginInfo& out);

// [a-zA-Z0-9._-]+, at most kMaxIdBytes.
bool is_valid_plugin_id(std::string_view id);

}  // namespace butter::host
