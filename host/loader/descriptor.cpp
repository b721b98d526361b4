// Reading and validating a plugin descriptor. A descriptor is plugin-owned memory the host can only
// trust so far: strings are read with a bound, lists must end within kMaxListEntries, and only the
// v1.0 fields are read (struct_size may announce more, from a newer minor).
#include "loader/descriptor.hpp"

#include <cstring>
#include <set>

namespace butter::host {
namespace {

struct Problems {
  std::string text;
  std::int32_t code = BUTTER_OK;
  void add(std::string m, std::int32_t c = BUTTER_E_INVALID) {
    if (!text.empty()) text += "; ";
    text += m;
    if (code == BUTTER_OK || c == BUTTER_E_UNSUPPORTED) code = c;
  }
};

std::string version_text(const butter_version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.revision);
}

// Reads a NUL-terminated string of at most `max` bytes. `what` names the field in messages.
bool read_text(const char* s, std::size_t max, const std::string& what, bool required, std::string& out,
               Problems& p) {
  out.clear();
  if (!s) {
    if (required) p.add(what + " is NULL");
    return !required;
  }
  const std::size_t n = strnlen(s, max + 1);
  if (n > max) {
    p.add(what + " is longer than " + std::to_string(max) + " bytes (or not NUL-terminated)");
    return false;
  }
  out.assign(s, n);
  if (required && out.empty()) {
    p.add(what + " is empty");
    return false;
  }
  return true;
}

bool is_interface_id(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdBytes) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;  // printable ASCII, no spaces
  }
  return true;
}

bool is_config_key(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdBytes) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void read_list(const char* const* list, const char* field, std::vector<std::string>& out, Problems& p) {
  out.clear();
  if (!list) return;
  std::set<std::string> seen;
  for (std::size_t i = 0;; ++i) {
    if (i == kMaxListEntries) {
      p.add(std::string(field) + " has more than " + std::to_string(kMaxListEntries) +
            " entries (or is not NULL-terminated)");
      out.clear();
      return;
    }
    if (!list[i]) return;
    std::string id;
    if (!read_text(list[i], kMaxIdBytes, std::string(field) + "[" + std::to_string(i) + "]", true, id, p)) continue;
    if (!is_interface_id(id)) {
      p.add(std::string(field) + " entry '" + id + "' is not a valid interface id (printable ASCII, no spaces)");
      continue;
    }
    if (!seen.insert(id).second) {
      p.add(std::string(field) + " lists '" + id + "' twice");
      continue;
    }
    out.push_back(std::move(id));
  }
}

bool config_type_from_abi(std::int32_t t, ConfigType& out) {
  switch (t) {
    case BUTTER_CONFIG_STRING: out = ConfigType::String; return true;
    case BUTTER_CONFIG_INT: out = ConfigType::Integer; return true;
    case BUTTER_CONFIG_FLOAT: out = ConfigType::Float; return true;
    case BUTTER_CONFIG_BOOL: out = ConfigType::Boolean; return true;
    case BUTTER_CONFIG_STRING_ARRAY: out = ConfigType::StringArray; return true;
    default: return false;
  }
}

void read_schema(const butter_plugin_descriptor* d, std::vector<ConfigKeySpec>& out, Problems& p) {
  out.clear();
  if (d->config_schema_len == 0) return;
  if (d->config_schema_len > kMaxConfigKeys) {
    p.add("config schema has " + std::to_string(d->config_schema_len) + " keys (at most " +
          std::to_string(kMaxConfigKeys) + ")");
    return;
  }
  if (!d->config_schema) {
    p.add("config_schema is NULL but config_schema_len is " + std::to_string(d->config_schema_len));
    return;
  }
  std::set<std::string> seen;
  for (std::uint32_t i = 0; i < d->config_schema_len; ++i) {
    const butter_config_key& k = d->config_schema[i];
    ConfigKeySpec spec;
    if (!read_text(k.key, kMaxIdBytes, "config key #" + std::to_string(i), true, spec.key, p)) continue;
    if (!is_config_key(spec.key)) {
      p.add("config key '" + spec.key + "' is not a valid key (letters, digits, '_' and '-')");
      continue;
    }
    if (!seen.insert(spec.key).second) {
      p.add("config key '" + spec.key + "' is declared twice");
      continue;
    }
    if (!config_type_from_abi(k.type, spec.type)) {
      p.add("config key '" + spec.key + "' has unknown type " + std::to_string(k.type));
      continue;
    }
    spec.required = k.required != 0;
    if (!read_text(k.description, kMaxTextBytes, "description of config key '" + spec.key + "'", false,
                   spec.description, p)) {
      continue;
    }
    out.push_back(std::move(spec));
  }
}

}  // namespace

bool is_valid_plugin_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Error read_descriptor(const butter_plugin_descriptor* d, PluginInfo& out) {
  out = PluginInfo{};
  if (!d) return Error::make(BUTTER_E_INVALID, "descriptor is NULL");
  if (d->struct_size < kDescriptorV1Size) {
    return Error::make(BUTTER_E_INVALID, "descriptor struct_size is " + std::to_string(d->struct_size) +
                                             ", smaller than the ABI 1.0 descriptor (" +
                                             std::to_string(kDescriptorV1Size) + " bytes)");
  }
  Problems p;
  out.raw = d;
  out.abi = d->abi;
  if (d->abi.major != BUTTER_ABI_MAJOR) {
    p.add("descriptor built for Butter ABI " + version_text(d->abi) + "; this host speaks " +
              std::to_string(BUTTER_ABI_MAJOR) + ".x",
          BUTTER_E_UNSUPPORTED);
  }
  if (read_text(d->id, kMaxIdBytes, "id", true, out.id, p) && !is_valid_plugin_id(out.id)) {
    p.add("id '" + out.id + "' is not a valid plugin id ([a-zA-Z0-9._-]+)");
  }
  read_text(d->name, kMaxTextBytes, "name", false, out.name, p);
  read_text(d->vendor, kMaxTextBytes, "vendor", false, out.vendor, p);
  read_text(d->version, kMaxIdBytes, "version", true, out.version, p);
  read_text(d->description, kMaxTextBytes, "description", false, out.description, p);
  read_list(d->provides, "provides", out.provides, p);
  read_list(d->required, "required", out.required, p);
  read_list(d->optional, "optional", out.optional, p);
  read_schema(d, out.config_schema, p);
  if (p.code != BUTTER_OK) return Error::make(p.code, p.text);
  return {};
}

}  // namespace butter::host
