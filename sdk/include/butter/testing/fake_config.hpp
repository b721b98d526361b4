// butter/testing/fake_config.hpp — the fake host's butter.config/1: values the test sets in
// `config`, and, for keys it lacks, the defaults the plugin's schema declares (as the real host
// serves them since ABI 1.3; fake_instance.hpp reads them from the descriptor). Part of fake_host.hpp.
#pragma once

#include <butter/testing/fake_core.hpp>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace butter::testing {

template <class Host>
class FakeConfig {
 public:
  using Value = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;
  std::map<std::string, Value> config;  // what the manifest's [plugins.NAME.config] would say

  // The defaults of `d`'s config schema (butter_config_key_ext), served for keys `config` lacks.
  mutable std::map<std::string, Value> schema_defaults;
  void learn_schema_defaults(const butter_plugin_descriptor* d) const {
    schema_defaults.clear();
    if (!d || d->struct_size < sizeof(butter_plugin_descriptor) || !d->config_key_ext) return;
    const auto* base = reinterpret_cast<const unsigned char*>(d->config_key_ext);
    for (std::uint32_t i = 0; i < d->config_key_ext_len; ++i) {
      const auto& e = *reinterpret_cast<const butter_config_key_ext*>(base + std::size_t{i} * d->config_key_ext_size);
      if (!(e.has & BUTTER_CONFIG_HAS_DEFAULT)) continue;
      for (std::uint32_t k = 0; k < d->config_schema_len; ++k) {
        if (std::strcmp(d->config_schema[k].key, e.key) != 0) continue;
        switch (d->config_schema[k].type) {
          case BUTTER_CONFIG_INT:
            schema_defaults[e.key] = std::int64_t{e.int_default};
            break;
          case BUTTER_CONFIG_FLOAT:
            schema_defaults[e.key] = e.float_default;
            break;
          case BUTTER_CONFIG_BOOL:
            schema_defaults[e.key] = e.bool_default != 0;
            break;
          case BUTTER_CONFIG_STRING:
            schema_defaults[e.key] = std::string(e.string_default ? e.string_default : "");
            break;
          default: {
            std::vector<std::string> items;
            for (std::size_t j = 0; e.strings_default && e.strings_default[j]; ++j)
              items.emplace_back(e.strings_default[j]);
            schema_defaults[e.key] = std::move(items);
          }
        }
      }
    }
  }

 protected:
  static const void* extension(std::string_view id) {
    static const butter_config_v1 vt = {&get_string, &get_int, &get_float, &get_bool, &get_array_len, &get_array_item};
    return id == BUTTER_EXT_CONFIG ? &vt : nullptr;
  }

 private:
  static FakeConfig& of(const butter_host* h) { return Host::of(h); }
  // The value of `key` (the test's, else the schema's default); refused off the node's thread.
  static butter_status find(const butter_host* h, const char* key, const Value*& out) {
    if (!Host::of(h).on_node_thread() || !key) return BUTTER_E_INVALID;
    const auto& self = of(h);
    const auto& table = self.config.count(key) ? self.config : self.schema_defaults;
    auto it = table.find(key);
    if (it == table.end()) return BUTTER_E_NOT_FOUND;
    out = &it->second;
    return BUTTER_OK;
  }
  template <class T>
  static butter_status lookup(const butter_host* h, const char* key, const T*& out) {
    const Value* v = nullptr;
    if (const butter_status s = find(h, key, v); s != BUTTER_OK) return s;
    out = std::get_if<T>(v);
    return out ? BUTTER_OK : BUTTER_E_INVALID;
  }
  static butter_status get_string(const butter_host* h, const char* key, butter_str* out) {
    const std::string* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s == BUTTER_OK) *out = str(*v);
    return s;
  }
  static butter_status get_int(const butter_host* h, const char* key, std::int64_t* out) {
    const std::int64_t* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s == BUTTER_OK) *out = *v;
    return s;
  }
  // As the node: an integer value is a fine float.
  static butter_status get_float(const butter_host* h, const char* key, double* out) {
    const Value* v = nullptr;
    if (const butter_status s = find(h, key, v); s != BUTTER_OK) return s;
    if (const auto* d = std::get_if<double>(v)) return *out = *d, BUTTER_OK;
    if (const auto* i = std::get_if<std::int64_t>(v)) return *out = static_cast<double>(*i), BUTTER_OK;
    return BUTTER_E_INVALID;
  }
  static butter_status get_bool(const butter_host* h, const char* key, std::int32_t* out) {
    const bool* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s == BUTTER_OK) *out = *v ? 1 : 0;
    return s;
  }
  static butter_status get_array_len(const butter_host* h, const char* key, std::uint32_t* out) {
    const std::vector<std::string>* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s == BUTTER_OK) *out = static_cast<std::uint32_t>(v->size());
    return s;
  }
  static butter_status get_array_item(const butter_host* h, const char* key, std::uint32_t i, butter_str* out) {
    const std::vector<std::string>* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s != BUTTER_OK) return s;
    if (i >= v->size()) return BUTTER_E_NOT_FOUND;
    *out = str((*v)[i]);
    return BUTTER_OK;
  }
};

}  // namespace butter::testing
