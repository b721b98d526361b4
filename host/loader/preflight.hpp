// The pre-flight of a plugin file, before any of its code runs: it exists, it is a complete ELF
// shared object for this machine, and it exports `butter_entry`.
#pragma once
#include "core/status.hpp"

#include <string>

namespace butter::host {

// Returns an error (the message without the path) when `path` must not be dlopened:
//   "no such file", "not a shared object (not an ELF file)",
//   "truncated or damaged: section 5 ends at byte 9000 but the file has 4096 bytes",
//   "not a Butter plugin: no `butter_entry` symbol".
Error preflight_plugin_file(const std::string& path);

}  // namespace butter::host
