// butter/cpp/config.hpp — "butter.config/1": typed getters.
//
//   greeting_ = config().get_string("greeting");   // the schema declares its default (ABI 1.3)
//   interval_ = config().get_int("interval_ms", 1000);  // a fallback for a key without one
//   ttl_ = config().get_int("ttl_ms");  // checked against the schema's .range(1, 3600000)
//   peers_ = config().get_int_in("max_peers", 1, limit);  // a bound the schema cannot state
//   share_ = config().get_float_in("share", 0, 1, Config::Open::Min);  // (0, 1]
//
// The host validated the table against the descriptor's schema already (types, ranges). An absent
// key gives the default its schema declares (config_int("ttl_ms", 30000) in the descriptor): the
// host serves it, and where a host does not (older than ABI 1.3, a test fake) the getter reads it
// from the descriptor itself, so the default lives in one place. The `def` argument is used only
// for a key whose schema declares no default. A key of another type throws
// Error(BUTTER_E_INVALID) (a schema/code mismatch), which fails init with that message. A host
// without the extension is an empty table. [node]
#pragma once

#include <butter/cpp/core.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

namespace butter {

namespace detail {

// The ABI 1.3 record of `key` in `d` (its default, range, unit), else nullptr.
inline const butter_config_key_ext* schema_key(const butter_plugin_descriptor* d, const std::string& key) noexcept {
  if (!d || d->struct_size < offsetof(butter_plugin_descriptor, config_key_ext_size) + sizeof(std::uint32_t))
    return nullptr;
  if (!d->config_key_ext || d->config_key_ext_size < sizeof(butter_config_key_ext)) return nullptr;
  const auto* base = reinterpret_cast<const unsigned char*>(d->config_key_ext);
  for (std::uint32_t i = 0; i < d->config_key_ext_len; ++i) {
    const auto* e = reinterpret_cast<const butter_config_key_ext*>(base + std::size_t{i} * d->config_key_ext_size);
    if (e->key && key == e->key) return e;
  }
  return nullptr;
}

// The record of `key` when it declares a default, else nullptr.
inline const butter_config_key_ext* schema_default(const butter_plugin_descriptor* d, const std::string& key) noexcept {
  const auto* e = schema_key(d, key);
  return e && (e->has & BUTTER_CONFIG_HAS_DEFAULT) ? e : nullptr;
}

}  // namespace detail

class Config {
 public:
  explicit Config(const detail::Core* core, const butter_plugin_descriptor* desc = nullptr) noexcept
      : core_(core), desc_(desc) {}

  std::string get_string(const std::string& key, std::string_view def = {}) const {
    butter_str out{};
    if (!get(key, "a string",
             [&](const butter_config_v1& v) { return v.get_string(core_->host, key.c_str(), &out); })) {
      const auto* e = detail::schema_default(desc_, key);
      return std::string(e && e->string_default ? std::string_view(e->string_default) : def);
    }
    return std::string(to_sv(out));
  }
  // The value, checked against the range its schema declares (config_int(...).range(lo, hi) or
  // .min(lo)): Error(BUTTER_E_INVALID, "<key> must be in lo..hi, got <v>") outside it. A host of
  // ABI 1.3 refused such a manifest already; the check holds where a host enforces no ranges (an
  // older one, a test fake), so that a cast guarded by the schema's range is safe on any host and
  // the range is written once, in the schema.
  std::int64_t get_int(const std::string& key, std::int64_t def = 0) const {
    std::int64_t out = def;
    const auto* e = detail::schema_key(desc_, key);
    if (!get(key, "an integer", [&](const butter_config_v1& v) { return v.get_int(core_->host, key.c_str(), &out); })) {
      if (e && (e->has & BUTTER_CONFIG_HAS_DEFAULT)) out = e->int_default;
    }
    if (e) {
      check_int(key, out, (e->has & BUTTER_CONFIG_HAS_MIN) ? e->int_min : std::numeric_limits<std::int64_t>::min(),
                (e->has & BUTTER_CONFIG_HAS_MAX) ? e->int_max : std::numeric_limits<std::int64_t>::max());
    }
    return out;
  }
  // get_int of a key whose value must lie in min..max, for a bound the schema cannot state (one
  // taken from another key, or a type's limit): Error(BUTTER_E_INVALID, "<key> must be in
  // min..max, got <v>", or "must be >= min, got <v>" when max is the largest int64) otherwise,
  // which fails init. A range the schema states needs no repeating: get_int() checks it.
  std::int64_t get_int_in(const std::string& key, std::int64_t min, std::int64_t max) const {
    const std::int64_t v = get_int(key);
    check_int(key, v, min, max);
    return v;
  }
  // Which bounds of get_float_in exclude their own value: a share or a rate that must be > 0 is
  // get_float_in(key, 0, 1, Open::Min), "(0, 1]".
  enum class Open { None, Min, Max, Both };
  // get_float of a key whose value must lie between min and max (each inclusive unless `open`
  // says otherwise; NaN never does): Error(BUTTER_E_INVALID, "<key> must be in [min, max], got
  // <v>", with ( or ) for an open bound, or "must be >= min, got <v>" when max is infinity)
  // otherwise. For the exclusive bounds a schema cannot state (its ranges are inclusive, and
  // get_float() checks them).
  double get_float_in(const std::string& key, double min, double max, Open open = Open::None) const {
    const double v = get_float(key);
    check_float(key, v, min, max, open);
    return v;
  }
  // As get_int(): the value, checked against its schema's inclusive range.
  double get_float(const std::string& key, double def = 0) const {
    double out = def;
    const auto* e = detail::schema_key(desc_, key);
    if (!get(key, "a number", [&](const butter_config_v1& v) { return v.get_float(core_->host, key.c_str(), &out); })) {
      if (e && (e->has & BUTTER_CONFIG_HAS_DEFAULT)) out = e->float_default;
    }
    if (e) {
      check_float(key, out, (e->has & BUTTER_CONFIG_HAS_MIN) ? e->float_min : -std::numeric_limits<double>::infinity(),
                  (e->has & BUTTER_CONFIG_HAS_MAX) ? e->float_max : std::numeric_limits<double>::infinity(),
                  Open::None);
    }
    return out;
  }
  bool get_bool(const std::string& key, bool def = false) const {
    std::int32_t out = def ? 1 : 0;
    if (!get(key, "a boolean", [&](const butter_config_v1& v) { return v.get_bool(core_->host, key.c_str(), &out); })) {
      if (const auto* e = detail::schema_default(desc_, key)) out = e->bool_default;
    }
    return out != 0;
  }
  // A string array (copied); the schema default, else `def`, when absent.
  std::vector<std::string> get_strings(const std::string& key, std::vector<std::string> def = {}) const {
    std::uint32_t n = 0;
    if (!get(key, "a string array",
             [&](const butter_config_v1& v) { return v.get_array_len(core_->host, key.c_str(), &n); })) {
      const auto* e = detail::schema_default(desc_, key);
      if (!e) return def;
      std::vector<std::string> out;
      for (std::size_t i = 0; e->strings_default && e->strings_default[i]; ++i) out.emplace_back(e->strings_default[i]);
      return out;
    }
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
  // Throws Error(BUTTER_E_INVALID, "<key> must be in min..max, got <v>") unless min <= v <= max.
  static void check_int(const std::string& key, std::int64_t v, std::int64_t min, std::int64_t max) {
    if (v >= min && v <= max) return;
    const bool no_min = min == std::numeric_limits<std::int64_t>::min();
    const bool no_max = max == std::numeric_limits<std::int64_t>::max();
    throw Error(BUTTER_E_INVALID, key + " must be " +
                                      (no_max   ? ">= " + std::to_string(min)
                                       : no_min ? "<= " + std::to_string(max)
                                                : "in " + std::to_string(min) + ".." + std::to_string(max)) +
                                      ", got " + std::to_string(v));
  }
  // As check_int, each bound inclusive unless `open` says otherwise; NaN is never in range.
  static void check_float(const std::string& key, double v, double min, double max, Open open) {
    const bool open_min = open == Open::Min || open == Open::Both;
    const bool open_max = open == Open::Max || open == Open::Both;
    const bool above = open_min ? v > min : v >= min;
    const bool below = open_max ? v < max : v <= max;
    if (above && below) return;
    const double inf = std::numeric_limits<double>::infinity();
    std::string range;
    if (max == inf)
      range = std::string(open_min ? "> " : ">= ") + number_text(min);
    else if (min == -inf)
      range = std::string(open_max ? "< " : "<= ") + number_text(max);
    else
      range = std::string("in ") + (open_min ? "(" : "[") + number_text(min) + ", " + number_text(max) +
              (open_max ? ")" : "]");
    throw Error(BUTTER_E_INVALID, key + " must be " + range + ", got " + number_text(v));
  }
  // A bound or value as a manifest would write it: 1000000 rather than 1e+06, 0.9, nan.
  static std::string number_text(double x) {
    if (x == x && x > -1e15 && x < 1e15 && x == static_cast<double>(static_cast<std::int64_t>(x)))
      return std::to_string(static_cast<std::int64_t>(x));
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, r.ptr);
  }
  const detail::Core* core_;
  const butter_plugin_descriptor* desc_;  // for schema defaults a host does not serve; may be NULL
};

}  // namespace butter
