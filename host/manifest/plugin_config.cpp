// Checking a plugin instance's config values against the schema the plugin declares.
#include "manifest/manifest.hpp"

#include "manifest/suggest.hpp"

#include <algorithm>
#include <tuple>

namespace butter::host {

namespace {

// Article + name, for "expected a string" / "expected an integer".
std::string with_article(ConfigType type) {
  const std::string name = config_type_name(type);
  const bool vowel = name.front() == 'a' || name.front() == 'i';
  return (vowel ? "an " : "a ") + name;
}

const char* value_type_name(const ConfigScalar& value) {
  switch (value.index()) {
    case 0:
      return "string";
    case 1:
      return "integer";
    case 2:
      return "float";
    case 3:
      return "boolean";
    default:
      return "array of strings";
  }
}

bool matches(ConfigType type, const ConfigScalar& value) {
  switch (type) {
    case ConfigType::String:
      return std::holds_alternative<std::string>(value);
    case ConfigType::Integer:
      return std::holds_alternative<std::int64_t>(value);
    case ConfigType::Float:
      return std::holds_alternative<double>(value) || std::holds_alternative<std::int64_t>(value);
    case ConfigType::Boolean:
      return std::holds_alternative<bool>(value);
    case ConfigType::StringArray:
      return std::holds_alternative<std::vector<std::string>>(value);
  }
  return false;
}

bool is_bare_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

const char* config_type_name(ConfigType type) {
  switch (type) {
    case ConfigType::String:
      return "string";
    case ConfigType::Integer:
      return "integer";
    case ConfigType::Float:
      return "float";
    case ConfigType::Boolean:
      return "boolean";
    case ConfigType::StringArray:
      return "array of strings";
  }
  return "unknown type";
}

void validate_plugin_config(const PluginSpec& plugin, std::span<const ConfigKeySpec> schema, Diagnostics& diags) {
  const std::size_t first = diags.items.size();
  const std::string table =
      "plugins." + (is_bare_key(plugin.instance) ? plugin.instance : "\"" + plugin.instance + "\"") + ".config";
  std::vector<std::string_view> known;
  known.reserve(schema.size());
  for (const auto& spec : schema) known.push_back(spec.key);

  for (const auto& entry : plugin.config) {
    const auto& key = entry.first;  // not a structured binding: clang 14 cannot capture one in a lambda
    const auto& value = entry.second;
    const auto spec = std::find_if(schema.begin(), schema.end(), [&](const ConfigKeySpec& s) { return s.key == key; });
    if (spec == schema.end()) {
      std::string message = "unknown key \"" + key + "\" in [" + table + "]";
      if (known.empty()) {
        message += " (plugin " + (plugin.plugin_id.empty() ? plugin.file : plugin.plugin_id) + " takes no config)";
      } else {
        message += manifest_detail::did_you_mean(key, known);
      }
      diags.add(value.pos, std::move(message));
    } else if (!matches(spec->type, value.value)) {
      diags.add(value.pos, table + "." + (is_bare_key(key) ? key : "\"" + key + "\"") + ": expected " +
                               with_article(spec->type) + ", got " + value_type_name(value.value));
    } else if (auto problem = config_range_problem(*spec, value.value)) {
      // Numbers are short and say what was read; a long string or array is named, not repeated.
      const bool numeric = spec->type == ConfigType::Integer || spec->type == ConfigType::Float;
      diags.add(value.pos, table + "." + (is_bare_key(key) ? key : "\"" + key + "\"") +
                               (numeric ? " = " + config_value_text(value.value) : std::string()) + " " + *problem);
    }
  }
  for (const auto& spec : schema) {
    if (!spec.required || plugin.config.count(spec.key) != 0) continue;
    std::string message =
        "missing required key \"" + spec.key + "\" (" + config_type_name(spec.type) + ") in [" + table + "]";
    if (!spec.description.empty()) message += ": " + spec.description;
    diags.add(plugin.pos, std::move(message));
  }
  std::stable_sort(diags.items.begin() + static_cast<std::ptrdiff_t>(first), diags.items.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
                   });
}

}  // namespace butter::host
