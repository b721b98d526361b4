// butter/cpp/descriptor.hpp — the C++ form of butter_plugin_descriptor.
//
//   butter::Descriptor{
//       .id = "org.example.echo", .name = "Echo", .vendor = "Example", .version = "1.0.0",
//       .description = "answers /butter/echo/1",
//       .provides = {}, .required = {"butter.peers/1"}, .optional = {},
//       .config = {butter::config_string("greeting", "").describe("prefix added to every answer"),
//                  butter::config_int("ttl_ms", 30000).range(1, 3600000).unit("ms").describe("entry lifetime")}}
//
// (`required` and not `requires`: that is a C++20 keyword.) The BUTTER_PLUGIN macro copies it into
// static storage and builds the C descriptor with NULL-terminated lists, and the ABI 1.3 records
// (butter_config_key_ext) of the keys that declare a default, range, max_len or unit.
//
// A key is built by config_int/config_float/config_bool/config_string/config_strings(key[,
// default]) and refined by .require(), .describe(text), .unit(word), .range(lo, hi), .min(lo),
// .max(hi) (integers for int keys, numbers for float keys) and .max_len(n) (bytes of a string,
// items of an array). The host refuses a schema that contradicts itself (min > max, a default out
// of range, a required key with a default) when it loads the plugin. The v1 aggregate form
// {"key", ConfigType::Int, required, "description"} still works.
#pragma once

#include <butter/butter.h>

#include <concepts>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace butter {

enum class ConfigType : int32_t {
  String = BUTTER_CONFIG_STRING,
  Int = BUTTER_CONFIG_INT,
  Float = BUTTER_CONFIG_FLOAT,
  Bool = BUTTER_CONFIG_BOOL,
  StringArray = BUTTER_CONFIG_STRING_ARRAY
};

using ConfigDefault = std::variant<std::monostate, std::int64_t, double, bool, std::string, std::vector<std::string>>;

struct ConfigKey {
  std::string key;
  ConfigType type = ConfigType::String;
  bool required = false;
  std::string description{};
  // ABI 1.3: set through the builder functions below. Each refinement consumes the temporary and
  // returns it by value, so a chain never leaves a reference to a dead temporary.
  ConfigDefault default_value{};  // monostate = none; else the alternative of `type`
  std::optional<std::int64_t> int_min{}, int_max{};
  std::optional<double> float_min{}, float_max{};
  std::optional<std::uint32_t> max_length{};
  std::string unit_word{};

  ConfigKey require() && {
    required = true;
    return std::move(*this);
  }
  ConfigKey describe(std::string text) && {
    description = std::move(text);
    return std::move(*this);
  }
  ConfigKey unit(std::string word) && {
    unit_word = std::move(word);
    return std::move(*this);
  }
  ConfigKey max_len(std::uint32_t n) && {
    max_length = n;
    return std::move(*this);
  }
  template <std::integral T>
  ConfigKey min(T lo) && {
    set_bound(int_min, float_min, lo);
    return std::move(*this);
  }
  template <std::integral T>
  ConfigKey max(T hi) && {
    set_bound(int_max, float_max, hi);
    return std::move(*this);
  }
  template <std::integral T>
  ConfigKey range(T lo, T hi) && {
    return std::move(*this).min(lo).max(hi);
  }
  ConfigKey min(double lo) && {
    float_min = lo;
    return std::move(*this);
  }
  ConfigKey max(double hi) && {
    float_max = hi;
    return std::move(*this);
  }
  ConfigKey range(double lo, double hi) && { return std::move(*this).min(lo).max(hi); }

 private:
  // An integer bound serves both int keys and float keys (range(0, 1) on a ratio).
  template <class T>
  static void set_bound(std::optional<std::int64_t>& i, std::optional<double>& f, T v) {
    i = static_cast<std::int64_t>(v);
    f = static_cast<double>(v);
  }
};

inline ConfigKey config_int(std::string key) { return ConfigKey{std::move(key), ConfigType::Int}; }
inline ConfigKey config_int(std::string key, std::int64_t def) {
  ConfigKey k{std::move(key), ConfigType::Int};
  k.default_value = def;
  return k;
}
inline ConfigKey config_float(std::string key) { return ConfigKey{std::move(key), ConfigType::Float}; }
inline ConfigKey config_float(std::string key, double def) {
  ConfigKey k{std::move(key), ConfigType::Float};
  k.default_value = def;
  return k;
}
inline ConfigKey config_bool(std::string key) { return ConfigKey{std::move(key), ConfigType::Bool}; }
inline ConfigKey config_bool(std::string key, bool def) {
  ConfigKey k{std::move(key), ConfigType::Bool};
  k.default_value = def;
  return k;
}
inline ConfigKey config_string(std::string key) { return ConfigKey{std::move(key), ConfigType::String}; }
inline ConfigKey config_string(std::string key, std::string def) {
  ConfigKey k{std::move(key), ConfigType::String};
  k.default_value = std::move(def);
  return k;
}
inline ConfigKey config_strings(std::string key) { return ConfigKey{std::move(key), ConfigType::StringArray}; }
inline ConfigKey config_strings(std::string key, std::vector<std::string> def) {
  ConfigKey k{std::move(key), ConfigType::StringArray};
  k.default_value = std::move(def);
  return k;
}

struct Descriptor {
  std::string id{};
  std::string name{};
  std::string vendor{};
  std::string version{};
  std::string description{};
  std::vector<std::string> provides{};  // interface ids it serves (provide() them in init)
  std::vector<std::string> required{};  // interface ids that must be started before it
  std::vector<std::string> optional{};  // interface ids it uses when present
  std::vector<ConfigKey> config{};
};

namespace detail {

// Owns a Descriptor and the C view of it. Never moved once built (the C view points into it).
class DescriptorStorage {
 public:
  explicit DescriptorStorage(Descriptor d) : d_(std::move(d)) {
    list(d_.provides, provides_);
    list(d_.required, required_);
    list(d_.optional, optional_);
    schema_.reserve(d_.config.size());
    for (const ConfigKey& k : d_.config) {
      schema_.push_back({k.key.c_str(), static_cast<int32_t>(k.type), k.required ? 1 : 0,
                         k.description.empty() ? nullptr : k.description.c_str()});
      add_ext(k);
    }
    c_.struct_size = sizeof(butter_plugin_descriptor);
    c_.abi = BUTTER_ABI_VERSION_INIT;
    c_.id = d_.id.c_str();
    c_.name = d_.name.c_str();
    c_.vendor = d_.vendor.c_str();
    c_.version = d_.version.c_str();
    c_.description = d_.description.c_str();
    c_.provides = provides_.data();
    c_.required = required_.data();
    c_.optional = optional_.data();
    c_.config_schema = schema_.empty() ? nullptr : schema_.data();
    c_.config_schema_len = static_cast<uint32_t>(schema_.size());
    c_.config_key_ext = ext_.empty() ? nullptr : ext_.data();
    c_.config_key_ext_len = static_cast<uint32_t>(ext_.size());
    c_.config_key_ext_size = sizeof(butter_config_key_ext);
  }
  DescriptorStorage(const DescriptorStorage&) = delete;
  DescriptorStorage& operator=(const DescriptorStorage&) = delete;

  const butter_plugin_descriptor* c() const noexcept { return &c_; }
  const Descriptor& cpp() const noexcept { return d_; }

 private:
  static void list(const std::vector<std::string>& in, std::vector<const char*>& out) {
    out.reserve(in.size() + 1);
    for (const std::string& s : in) out.push_back(s.c_str());
    out.push_back(nullptr);
  }
  // The butter_config_key_ext record of `k`, when it declares anything beyond v1.0. Bounds go
  // to the fields of the key's type (an int key with float bounds gets them truncated).
  void add_ext(const ConfigKey& k) {
    butter_config_key_ext e{};
    e.key = k.key.c_str();
    e.unit = k.unit_word.empty() ? nullptr : k.unit_word.c_str();
    if (k.type == ConfigType::Int) {
      if (k.int_min || k.float_min) e.has |= BUTTER_CONFIG_HAS_MIN;
      if (k.int_max || k.float_max) e.has |= BUTTER_CONFIG_HAS_MAX;
      e.int_min = k.int_min ? *k.int_min : static_cast<std::int64_t>(k.float_min.value_or(0));
      e.int_max = k.int_max ? *k.int_max : static_cast<std::int64_t>(k.float_max.value_or(0));
    } else if (k.type == ConfigType::Float) {
      if (k.float_min) e.has |= BUTTER_CONFIG_HAS_MIN;
      if (k.float_max) e.has |= BUTTER_CONFIG_HAS_MAX;
      e.float_min = k.float_min.value_or(0);
      e.float_max = k.float_max.value_or(0);
    } else if (k.int_min || k.int_max || k.float_min || k.float_max) {
      e.has |= BUTTER_CONFIG_HAS_MIN;  // the host refuses a range on this type, with the key's name
    }
    if (k.max_length) {
      e.has |= BUTTER_CONFIG_HAS_MAX_LEN;
      e.max_len = *k.max_length;
    }
    if (!std::holds_alternative<std::monostate>(k.default_value)) {
      e.has |= BUTTER_CONFIG_HAS_DEFAULT;
      if (auto* i = std::get_if<std::int64_t>(&k.default_value)) {
        e.int_default = *i;
        e.float_default = static_cast<double>(*i);
      } else if (auto* f = std::get_if<double>(&k.default_value)) {
        e.float_default = *f;
      } else if (auto* b = std::get_if<bool>(&k.default_value)) {
        e.bool_default = *b ? 1 : 0;
      } else if (auto* s = std::get_if<std::string>(&k.default_value)) {
        e.string_default = s->c_str();
      } else if (auto* v = std::get_if<std::vector<std::string>>(&k.default_value)) {
        auto& items = default_lists_.emplace_back();
        list(*v, items);
        e.strings_default = items.data();
      }
    }
    if (e.has != 0 || e.unit) ext_.push_back(e);
  }

  Descriptor d_;
  std::vector<const char*> provides_, required_, optional_;
  std::vector<butter_config_key> schema_;
  std::vector<butter_config_key_ext> ext_;
  std::deque<std::vector<const char*>> default_lists_;  // a deque: records point into its items
  butter_plugin_descriptor c_{};
};

}  // namespace detail
}  // namespace butter
