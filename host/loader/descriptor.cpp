// Reading and validating a plugin descriptor. A descriptor is plugin-owned memory the host can only
// trust so far: strings are read with a bound, lists must end within kMaxListEntries, and only the
// fields this host knows are read, each only when struct_size covers it (a newer minor may
// announce more).
#include "loader/descriptor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

namespace butter::host {
namespace {

struct Problems {
  std::string text;
  std::int32_t code = BUTTER_OK;
  void add(const std::string& m, std::int32_t c = BUTTER_E_INVALID) {
    if (!text.empty()) text += "; ";
    text += m;
    if (code == BUTTER_OK || c == BUTTER_E_UNSUPPORTED) code = c;
  }
};

// Reads a NUL-terminated string of at most `max` bytes. `what` names the field in messages.
bool read_text(const char* s, std::size_t max, const std::string& what, bool required, std::string& out, Problems& p) {
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

// A NULL-terminated list of strings (a string array default); NULL is the empty list.
void read_strings(const char* const* list, const std::string& what, std::vector<std::string>& out, Problems& p) {
  out.clear();
  if (!list) return;
  for (std::size_t i = 0;; ++i) {
    if (i == kMaxListEntries) {
      p.add(what + " has more than " + std::to_string(kMaxListEntries) + " items (or is not NULL-terminated)");
      out.clear();
      return;
    }
    if (!list[i]) return;
    std::string item;
    if (read_text(list[i], kMaxTextBytes, what + "[" + std::to_string(i) + "]", false, item, p))
      out.push_back(std::move(item));
  }
}

bool config_type_from_abi(std::int32_t t, ConfigType& out) {
  switch (t) {
    case BUTTER_CONFIG_STRING:
      out = ConfigType::String;
      return true;
    case BUTTER_CONFIG_INT:
      out = ConfigType::Integer;
      return true;
    case BUTTER_CONFIG_FLOAT:
      out = ConfigType::Float;
      return true;
    case BUTTER_CONFIG_BOOL:
      out = ConfigType::Boolean;
      return true;
    case BUTTER_CONFIG_STRING_ARRAY:
      out = ConfigType::StringArray;
      return true;
    default:
      return false;
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

const char* type_name(ConfigType t) { return config_type_name(t); }

constexpr std::uint32_t kKnownHas =
    BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX | BUTTER_CONFIG_HAS_MAX_LEN;

// Copies one butter_config_key_ext record into `spec`, then checks that what it declares holds
// together. A problem refuses the plugin: a schema that contradicts itself is a plugin bug, and
// finding it at load beats finding it in the field.
void apply_key_ext(const butter_config_key_ext& e, ConfigKeySpec& spec, Problems& p) {
  const std::string where = "config key '" + spec.key + "'";
  const std::size_t before = p.text.size();
  if (e.has & ~kKnownHas) {
    p.add(where + " has unknown flags " + std::to_string(e.has & ~kKnownHas) + " in config_key_ext");
  }
  const bool numeric = spec.type == ConfigType::Integer || spec.type == ConfigType::Float;
  const bool sized = spec.type == ConfigType::String || spec.type == ConfigType::StringArray;
  if ((e.has & (BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX)) && !numeric) {
    p.add(where + " declares a min or max, but is " + type_name(spec.type) +
          " (only integer and float keys have a range)");
  }
  if ((e.has & BUTTER_CONFIG_HAS_MAX_LEN) && !sized) {
    p.add(where + " declares max_len, but is " + type_name(spec.type) + " (only strings and string arrays have one)");
  }
  read_text(e.unit, kMaxUnitBytes, "unit of " + where, false, spec.unit, p);
  const bool has_default = (e.has & BUTTER_CONFIG_HAS_DEFAULT) != 0;
  if (has_default && spec.required) p.add(where + " is required and declares a default (a required key has none)");
  auto finite = [&](double v, const char* what) {
    if (std::isfinite(v)) return true;
    p.add(where + ": the " + what + " is not a finite number");
    return false;
  };
  switch (spec.type) {
    case ConfigType::Integer:
      if (e.has & BUTTER_CONFIG_HAS_MIN) spec.int_min = e.int_min;
      if (e.has & BUTTER_CONFIG_HAS_MAX) spec.int_max = e.int_max;
      if (has_default) spec.default_value = ConfigScalar{std::int64_t{e.int_default}};
      if (spec.int_min && spec.int_max && *spec.int_min > *spec.int_max) {
        p.add(where + ": the minimum " + std::to_string(*spec.int_min) + " is above the maximum " +
              std::to_string(*spec.int_max));
      }
      break;
    case ConfigType::Float:
      if ((e.has & BUTTER_CONFIG_HAS_MIN) && finite(e.float_min, "minimum")) spec.float_min = e.float_min;
      if ((e.has & BUTTER_CONFIG_HAS_MAX) && finite(e.float_max, "maximum")) spec.float_max = e.float_max;
      if (has_default && finite(e.float_default, "default")) spec.default_value = ConfigScalar{e.float_default};
      if (spec.float_min && spec.float_max && *spec.float_min > *spec.float_max) {
        p.add(where + ": the minimum " + config_value_text(*spec.float_min) + " is above the maximum " +
              config_value_text(*spec.float_max));
      }
      break;
    case ConfigType::Boolean:
      if (has_default) spec.default_value = ConfigScalar{e.bool_default != 0};
      break;
    case ConfigType::String:
      if (has_default) {
        std::string text;
        if (!e.string_default) {
          p.add(where + ": the default string is NULL");
        } else if (read_text(e.string_default, kMaxTextBytes, "default of " + where, false, text, p)) {
          spec.default_value = ConfigScalar{std::move(text)};
        }
      }
      break;
    case ConfigType::StringArray:
      if (has_default) {
        std::vector<std::string> items;
        read_strings(e.strings_default, "default of " + where, items, p);
        spec.default_value = ConfigScalar{std::move(items)};
      }
      break;
  }
  if (sized && (e.has & BUTTER_CONFIG_HAS_MAX_LEN)) spec.max_len = e.max_len;
  if (p.text.size() != before) return;  // a range already refused says enough
  if (spec.default_value) {
    if (auto problem = config_range_problem(spec, *spec.default_value)) {
      p.add(where + ": the default " + config_value_text(*spec.default_value) + " " + *problem);
    }
  }
}

// The ABI 1.3 records, read only when struct_size covers them; each names a key read_schema kept.
void read_key_ext(const butter_plugin_descriptor* d, std::vector<ConfigKeySpec>& schema, Problems& p) {
  if (d->struct_size < kDescriptorV13Size || d->config_key_ext_len == 0) return;
  const std::uint32_t n = d->config_key_ext_len;
  const std::uint32_t stride = d->config_key_ext_size;
  if (n > kMaxConfigKeys) {
    p.add("config_key_ext has " + std::to_string(n) + " records (at most " + std::to_string(kMaxConfigKeys) + ")");
    return;
  }
  if (!d->config_key_ext) {
    p.add("config_key_ext is NULL but config_key_ext_len is " + std::to_string(n));
    return;
  }
  if (stride < sizeof(butter_config_key_ext) || stride > kMaxConfigKeyExtSize ||
      stride % alignof(butter_config_key_ext) != 0) {
    p.add("config_key_ext_size is " + std::to_string(stride) + "; set it to sizeof(butter_config_key_ext) (" +
          std::to_string(sizeof(butter_config_key_ext)) + " in ABI 1.3)");
    return;
  }
  const auto* base = reinterpret_cast<const unsigned char*>(d->config_key_ext);
  std::set<std::string> seen;
  for (std::uint32_t i = 0; i < n; ++i) {
    // Fields a later minor adds lie beyond sizeof(butter_config_key_ext): this host ignores them.
    const auto& e = *reinterpret_cast<const butter_config_key_ext*>(base + std::size_t{i} * stride);
    std::string key;
    if (!read_text(e.key, kMaxIdBytes, "config_key_ext[" + std::to_string(i) + "].key", true, key, p)) continue;
    const auto spec = std::find_if(schema.begin(), schema.end(), [&](const ConfigKeySpec& s) { return s.key == key; });
    if (spec == schema.end()) {
      p.add("config_key_ext[" + std::to_string(i) + "] names '" + key + "', which config_schema does not declare");
      continue;
    }
    if (!seen.insert(key).second) {
      p.add("config_key_ext has two records for config key '" + key + "'");
      continue;
    }
    apply_key_ext(e, *spec, p);
  }
}

}  // namespace

bool is_valid_plugin_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
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
  read_key_ext(d, out.config_schema, p);
  if (p.code != BUTTER_OK) return Error::make(p.code, p.text);
  return {};
}

}  // namespace butter::host
