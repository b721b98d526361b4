// Reading a plugin's descriptor into C++ values, checking everything a malformed plugin could get
// wrong: size, ABI, id syntax, NULL or overlong strings, unbounded lists, unknown config types.
#pragma once
#include "core/status.hpp"
#include "loader/plugin_library.hpp"

#include <butter/plugin.h>

#include <cstddef>
#include <cstdint>

namespace butter::host {

// The size of the ABI 1.0 descriptor: the least struct_size the host accepts.
// (The 1.3 fields start at the first pointer-aligned offset after it, where v1.0's padding ended.)
inline constexpr std::size_t kDescriptorV1Size = offsetof(butter_plugin_descriptor, config_key_ext);
// The size of the ABI 1.3 descriptor: from it on, config_key_ext is read.
inline constexpr std::size_t kDescriptorV13Size =
    offsetof(butter_plugin_descriptor, config_key_ext_size) + sizeof(std::uint32_t);
// The largest config_key_ext stride accepted: room for generations of growth, and a bound on
// what a garbage size makes the host read.
inline constexpr std::size_t kMaxConfigKeyExtSize = 1024;
inline constexpr std::size_t kMaxUnitBytes = 32;
// Bounds on what a descriptor may list (a missing NULL terminator is refused, not followed).
inline constexpr std::size_t kMaxListEntries = 64;
inline constexpr std::size_t kMaxConfigKeys = 64;
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kMaxTextBytes = 4096;

// Copies `d` into `out` (setting out.raw = d), with the defaults, ranges and units of config keys
// (config_key_ext, ABI 1.3) checked for consistency. On any problem returns BUTTER_E_INVALID (or
// BUTTER_E_UNSUPPORTED for another ABI major) with every problem found, joined by "; ".
Error read_descriptor(const butter_plugin_descriptor* d, PluginInfo& out);

// [a-zA-Z0-9._-]+, at most kMaxIdBytes.
bool is_valid_plugin_id(std::string_view id);

}  // namespace butter::host
