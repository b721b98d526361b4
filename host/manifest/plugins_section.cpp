// The [plugins.<instance>] tables: which plugin (by id or by file), whether it is enabled, and
// its config values, each kept with its position for validate_plugin_config.
#include "manifest/toml_read.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <iterator>
#include <tuple>

namespace butter::host::manifest_detail {

namespace {

constexpr std::array<std::string_view, 4> kPluginKeys{"plugin", "file", "enabled", "config"};

bool is_instance_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Converts one config value into `out`; false (with the error reported) when its type is not
// one a config may hold. Writes in place with emplace: returning an optional<variant> trips a false
// -Wmaybe-uninitialized of GCC 12 under the sanitizers.
bool config_value(Reader& reader, const toml::node& node, const std::string& path, ConfigScalar& out) {
  switch (node.type()) {
    case toml::node_type::string:
      out.emplace<std::string>(node.as_string()->get());
      return true;
    case toml::node_type::integer:
      out.emplace<std::int64_t>(node.as_integer()->get());
      return true;
    case toml::node_type::floating_point:
      out.emplace<double>(node.as_floating_point()->get());
      return true;
    case toml::node_type::boolean:
      out.emplace<bool>(node.as_boolean()->get());
      return true;
    case toml::node_type::array: {
      const auto& array = *node.as_array();
      auto& strings = out.emplace<std::vector<std::string>>();
      bool ok = true;
      for (std::size_t i = 0; i < array.size(); ++i) {
        const toml::node& element = *array.get(i);
        if (const auto* s = element.as_string()) {
          strings.push_back(s->get());
        } else {
          reader.type_error(element, path + "[" + std::to_string(i) + "]",
                            "a string (config arrays hold strings only)");
          ok = false;
        }
      }
      return ok;
    }
    default:
      reader.type_error(node, path, "a string, integer, float, boolean or array of strings");
      return false;
  }
}

std::string resolve(const std::string& directory, const std::string& file) {
  const std::filesystem::path p(file);
  if (directory.empty() || p.is_absolute()) return file;
  return (std::filesystem::path(directory) / p).lexically_normal().string();
}

void read_plugin(Reader& reader, const std::string& instance, const toml::table& table, const std::string& directory,
                 std::vector<PluginSpec>& plugins) {
  const std::string path = key_path("plugins", instance);
  PluginSpec spec;
  spec.instance = instance;
  spec.pos = reader.pos(table);
  bool ok = true;
  reader.reject_unknown_keys(table, kPluginKeys, "[" + path + "]");

  const toml::node* plugin = table.get("plugin");
  const toml::node* file = table.get("file");
  if (plugin != nullptr) {
    if (auto id = reader.string(*plugin, path + ".plugin")) {
      if (id->empty()) {
        reader.error(*plugin, path + ".plugin: must not be empty");
        ok = false;
      }
      spec.plugin_id = std::move(*id);
    } else {
      ok = false;
    }
  }
  if (file != nullptr) {
    if (auto f = reader.string(*file, path + ".file")) {
      if (f->empty()) {
        reader.error(*file, path + ".file: must not be empty");
        ok = false;
      }
      spec.file = resolve(directory, *f);
    } else {
      ok = false;
    }
  }
  if (plugin == nullptr && file == nullptr) {
    reader.error(spec.pos, "[" + path + "]: one of \"plugin\" (an id) or \"file\" (a path) is required");
    ok = false;
  } else if (plugin != nullptr && file != nullptr) {
    reader.error(*file, "[" + path + "]: \"plugin\" and \"file\" are exclusive, give only one");
    ok = false;
  }
  if (const toml::node* enabled = table.get("enabled")) {
    if (auto b = reader.boolean(*enabled, path + ".enabled")) {
      spec.enabled = *b;
    } else {
      ok = false;
    }
  }
  if (const toml::node* config = table.get("config")) {
    if (const auto* config_table = config->as_table()) {
      for (auto&& [key, value] : *config_table) {
        const std::string value_path = key_path(path + ".config", key.str());
        ConfigValue v;
        v.pos = reader.pos(value);
        if (config_value(reader, value, value_path, v.value)) {
          spec.config.emplace(std::string(key.str()), std::move(v));
        } else {
          ok = false;
        }
      }
    } else {
      reader.type_error(*config, path + ".config", "a table");
      ok = false;
    }
  }
  if (ok) plugins.push_back(std::move(spec));
}

}  // namespace

void read_plugins_section(Reader& reader, const toml::table& table, const std::string& directory,
                          std::vector<PluginSpec>& plugins) {
  for (auto&& [key, value] : table) {
    const std::string instance(key.str());
    const std::string path = key_path("plugins", instance);
    bool ok = true;
    if (!is_instance_name(instance)) {
      reader.error(key, path + ": invalid plugin instance name (use letters, digits, '_' and '-')");
      ok = false;
    }
    const auto* plugin_table = value.as_table();
    if (plugin_table == nullptr) {
      reader.type_error(value, path, "a table");
      continue;
    }
    // Checked even when the name is bad, so that every error shows at once.
    std::vector<PluginSpec> one;
    read_plugin(reader, instance, *plugin_table, directory, one);
    if (ok) std::move(one.begin(), one.end(), std::back_inserter(plugins));
  }
  // toml++ tables are ordered by key; keep the order of the file instead.
  std::stable_sort(plugins.begin(), plugins.end(), [](const PluginSpec& a, const PluginSpec& b) {
    return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
  });
}

}  // namespace butter::host::manifest_detail
