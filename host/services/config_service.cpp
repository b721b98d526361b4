// butter.config/1: typed getters over the instance's validated config table.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

namespace butter::host {
namespace {

// The caller's value for `key`: BUTTER_E_INVALID when the call is refused (no instance, or off
// the node's thread: node_instance_of logs it), BUTTER_E_NOT_FOUND when the key has no value. A
// refusal must not read as "not set", or a plugin would quietly run on its defaults.
butter_status lookup(const butter_host* host, const char* key, const ConfigValue*& out) {
  return guarded<Caller::NodeThread>(host, "config.get", key != nullptr, BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    out = inst.config_value(key);
    return out ? BUTTER_OK : BUTTER_E_NOT_FOUND;
  });
}

template <class T>
butter_status get_as(const butter_host* host, const char* key, const T*& out) {
  const ConfigValue* v = nullptr;
  if (const butter_status st = lookup(host, key, v); st != BUTTER_OK) return st;
  out = std::get_if<T>(&v->value);
  return out ? BUTTER_OK : BUTTER_E_INVALID;
}

butter_status cfg_string(const butter_host* host, const char* key, butter_str* out) {
  const std::string* s = nullptr;
  butter_status st = get_as(host, key, s);
  if (st == BUTTER_OK && out) *out = butter_str{s->data(), s->size()};
  return st;
}

butter_status cfg_int(const butter_host* host, const char* key, int64_t* out) {
  const std::int64_t* v = nullptr;
  butter_status st = get_as(host, key, v);
  if (st == BUTTER_OK && out) *out = *v;
  return st;
}

butter_status cfg_float(const butter_host* host, const char* key, double* out) {
  const ConfigValue* v = nullptr;
  if (const butter_status st = lookup(host, key, v); st != BUTTER_OK) return st;
  if (auto d = std::get_if<double>(&v->value)) {
    if (out) *out = *d;
    return BUTTER_OK;
  }
  if (auto i = std::get_if<std::int64_t>(&v->value)) {  // an integer is a fine float
    if (out) *out = static_cast<double>(*i);
    return BUTTER_OK;
  }
  return BUTTER_E_INVALID;
}

butter_status cfg_bool(const butter_host* host, const char* key, int32_t* out) {
  const bool* v = nullptr;
  butter_status st = get_as(host, key, v);
  if (st == BUTTER_OK && out) *out = *v ? 1 : 0;
  return st;
}

butter_status cfg_array_len(const butter_host* host, const char* key, uint32_t* out) {
  const std::vector<std::string>* v = nullptr;
  butter_status st = get_as(host, key, v);
  if (st == BUTTER_OK && out) *out = static_cast<uint32_t>(v->size());
  return st;
}

butter_status cfg_array_item(const butter_host* host, const char* key, uint32_t index, butter_str* out) {
  const std::vector<std::string>* v = nullptr;
  butter_status st = get_as(host, key, v);
  if (st != BUTTER_OK) return st;
  if (index >= v->size()) return BUTTER_E_NOT_FOUND;
  if (out) *out = butter_str{(*v)[index].data(), (*v)[index].size()};
  return BUTTER_OK;
}

const butter_config_v1 kConfig = {cfg_string, cfg_int, cfg_float, cfg_bool, cfg_array_len, cfg_array_item};

}  // namespace

const butter_config_v1* config_extension() { return &kConfig; }

const ServiceModule& config_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_CONFIG, &kConfig}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
