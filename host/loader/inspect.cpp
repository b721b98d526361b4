// Rendering of a loaded plugin file for `butter inspect`.
#include "loader/inspect.hpp"

#include <algorithm>

namespace butter::host {
namespace {

std::string version_text(const butter_version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.revision);
}

// Local on purpose: the loader does not depend on the manifest's implementation files.
const char* type_label(ConfigType t) {
  switch (t) {
    case ConfigType::String: return "string";
    case ConfigType::Integer: return "integer";
    case ConfigType::Float: return "float";
    case ConfigType::Boolean: return "boolean";
    case ConfigType::StringArray: return "string array";
  }
  return "unknown";
}

std::string or_dash(const std::string& s) { return s.empty() ? std::string("-") : s; }

std::string list_text(const std::vector<std::string>& items) {
  if (items.empty()) return "(none)";
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

void field(std::string& out, const char* label, const std::string& value) {
  std::string l = std::string("  ") + label + ":";
  l.resize(std::max<std::size_t>(l.size() + 1, 16), ' ');
  out += l + value + "\n";
}

}  // namespace

std::string describe_library(const PluginLibrary& library) {
  std::string out;
  out += "file:    " + library.path() + "\n";
  out += "ABI:     " + version_text(library.abi()) + " (this host speaks " + std::to_string(BUTTER_ABI_MAJOR) + "." +
         std::to_string(BUTTER_ABI_MINOR) + "." + std::to_string(BUTTER_ABI_REVISION) + ")\n";
  out += "plugins: " + std::to_string(library.plugins().size()) + "\n";
  for (const PluginInfo& p : library.plugins()) {
    out += "\n" + p.id + "\n";
    field(out, "name", or_dash(p.name));
    field(out, "vendor", or_dash(p.vendor));
    field(out, "version", or_dash(p.version));
    field(out, "ABI", version_text(p.abi));
    field(out, "description", or_dash(p.description));
    field(out, "provides", list_text(p.provides));
    field(out, "requires", list_text(p.required));
    field(out, "optional", list_text(p.optional));
    if (p.config_schema.empty()) {
      field(out, "config", "(no keys)");
      continue;
    }
    field(out, "config", std::to_string(p.config_schema.size()) + (p.config_schema.size() == 1 ? " key" : " keys"));
    std::size_t key_w = 0, type_w = 0;
    for (const auto& k : p.config_schema) {
      key_w = std::max(key_w, k.key.size());
      type_w = std::max(type_w, std::string(type_label(k.type)).size());
    }
    for (const auto& k : p.config_schema) {
      std::string line = "    " + k.key + std::string(key_w - k.key.size() + 2, ' ');
      const std::string type = type_label(k.type);
      line += type + std::string(type_w - type.size() + 2, ' ');
      line += k.required ? "required" : "optional";
      if (!k.description.empty()) line += "  " + k.description;
      out += line + "\n";
    }
  }
  return out;
}

}  // namespace butter::host
