// Rendering of a loaded plugin file for `butter inspect`.
#include "loader/inspect.hpp"

#include <algorithm>

namespace butter::host {
namespace {

// Local on purpose: the loader does not depend on the manifest's implementation files.
const char* type_label(ConfigType t) {
  switch (t) {
    case ConfigType::String:
      return "string";
    case ConfigType::Integer:
      return "integer";
    case ConfigType::Float:
      return "float";
    case ConfigType::Boolean:
      return "boolean";
    case ConfigType::StringArray:
      return "string array";
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

std::string number(const ConfigKeySpec& k, bool min) {
  if (k.type == ConfigType::Integer) {
    const auto& v = min ? k.int_min : k.int_max;
    return v ? std::to_string(*v) : std::string();
  }
  const auto& v = min ? k.float_min : k.float_max;
  return v ? config_value_text(*v) : std::string();
}

// "default 30000 ms, range 1..3600000 ms": what the schema declares beyond the type.
std::string limits_text(const ConfigKeySpec& k) {
  const std::string unit = k.unit.empty() ? std::string() : " " + k.unit;
  std::vector<std::string> parts;
  if (k.default_value) parts.push_back("default " + config_value_text(*k.default_value) + unit);
  const std::string lo = number(k, true), hi = number(k, false);
  if (!lo.empty() && !hi.empty()) {
    parts.push_back("range " + lo + ".." + hi + unit);
  } else if (!lo.empty()) {
    parts.push_back("at least " + lo + unit);
  } else if (!hi.empty()) {
    parts.push_back("at most " + hi + unit);
  }
  if (k.max_len) {
    parts.push_back("at most " + std::to_string(*k.max_len) + (k.type == ConfigType::String ? " bytes" : " items"));
  }
  if (parts.empty() && !k.unit.empty()) parts.push_back("in " + k.unit);
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
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
      if (const std::string limits = limits_text(k); !limits.empty()) line += "  " + limits;
      if (!k.description.empty()) line += "  " + k.description;
      out += line + "\n";
    }
  }
  return out;
}

}  // namespace butter::host
