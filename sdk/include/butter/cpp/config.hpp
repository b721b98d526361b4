// butter/cpp/config.hpp — "butter.config/1": typed getters with defaults.
//
//   greeting_ = config().get_string("greeting", "");
//   interval_ = config().get_int("interval_ms", 1000);
//
// The host validated the table against the descriptor's schema already. An absent key gives the
// default; a key of another type throws Error(BUTTER_E_INVALID) (a schema/code mismatch), which
// fails init with that message. A host without the extension is an empty table. [node]
#pragma once

#include <butter/cpp/core.hpp>

namespace butter {

class Config {
 public:
  explicit Config(const detail::Core* core) noexcept : core_(core) {}

  std::string get_string(const std::string& key, std::string_view def = {}) const {
    butter_str out{};
    if (!get(key, "a string", [&](const butter_config_v1& v) { return v.get_string(core_->host, key.c_str(), &out); }))
      return std::string(def);
    return std::string(to_sv(out));
  }
  std::int64_t get_int(const std::string& key, std::int64_t def = 0) const {
    std::int64_t out = def;
    get(key, "an integer", [&](const butter_config_v1& v) { return v.get_int(core_->host, key.c_str(), &out); });
    return out;
  }
  double get_float(const std::string& key, double def = 0) const {
    double out = def;
    get(key, "a number", [&](const butter_config_v1& v) { return v.get_float(core_->host, key.c_str(), &out); });
    return out;
  }
  bool get_bool(const std::string& key, bool def = false) const {
    std::int32_t out = def ? 1 : 0;
    get(key, "a boolean", [&](const butter_config_v1& v) { return v.get_bool(core_->host, key.c_str(), &out); });
    return out != 0;
  }
  // A string array (copied); `def` when absent.
  std::vector<std::string> get_strings(const std::string& key, std::vector<std::string> def = {}) const {
    std::uint32_t n = 0;
    if (!get(key, "a string array",
             [&](const butter_config_v1& v) { return v.get_array_len(core_->host, key.c_str(), &n); }))
      return def;
    std::vector<std::string> out;
    out.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      butter_str item{};
      get(key, "a string array",
          [&](const butter_config_v1& v) { return v.get_array_item(core_->host, key.c_str(), i, &item); });
      out.emplace_back(to_sv(item));
    }
    return out;
  }

 private:
  // True when the value was read; false when absent; throws on a wrong type or another error.
  template <class F>
  bool get(const std::string& key, const char* what, F&& call) const {
    if (!core_->ext.config) return false;
    const butter_status s = call(*core_->ext.config);
    if (s == BUTTER_OK) return true;
    if (s == BUTTER_E_NOT_FOUND) return false;
    if (s == BUTTER_E_INVALID) throw Error(s, "config key '" + key + "' is not " + what);
    throw Error(s, "config key '" + key + "': " + status_name(s));
  }
  const detail::Core* core_;
};

}  // namespace butter
