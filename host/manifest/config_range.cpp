// A config value against the bounds its schema key declares (ABI 1.3): one wording for the
// manifest check (validate_plugin_config) and the load-time check of a schema's own default.
#include "manifest/manifest.hpp"

#include <charconv>
#include <cmath>

namespace butter::host {
namespace {

std::string number_text(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back as v
  return r.ec == std::errc{} ? std::string(buf, r.ptr) : std::string("?");
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// " (ms)" after a bound, so the reader knows what the number counts.
std::string unit_suffix(const ConfigKeySpec& spec) {
  return spec.unit.empty() ? std::string() : " (" + spec.unit + ")";
}

}  // namespace

std::string config_value_text(const ConfigScalar& value) {
  switch (value.index()) {
    case 0:
      return quoted(std::get<std::string>(value));
    case 1:
      return std::to_string(std::get<std::int64_t>(value));
    case 2:
      return number_text(std::get<double>(value));
    case 3:
      return std::get<bool>(value) ? "true" : "false";
    default: {
      std::string out = "[";
      for (const auto& item : std::get<std::vector<std::string>>(value)) {
        if (out.size() > 1) out += ", ";
        out += quoted(item);
      }
      return out + "]";
    }
  }
}

std::optional<std::string> config_range_problem(const ConfigKeySpec& spec, const ConfigScalar& value) {
  const std::string unit = unit_suffix(spec);
  if (spec.type == ConfigType::Integer) {
    const auto* v = std::get_if<std::int64_t>(&value);
    if (!v) return std::nullopt;
    if (spec.int_min && *v < *spec.int_min) return "is below the minimum " + std::to_string(*spec.int_min) + unit;
    if (spec.int_max && *v > *spec.int_max) return "is above the maximum " + std::to_string(*spec.int_max) + unit;
    return std::nullopt;
  }
  if (spec.type == ConfigType::Float) {
    double v = 0;
    if (const auto* d = std::get_if<double>(&value)) {
      v = *d;
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      v = static_cast<double>(*i);
    } else {
      return std::nullopt;
    }
    // NaN compares false with everything: name it rather than let it through.
    if (std::isnan(v) && (spec.float_min || spec.float_max)) return std::string("is not a number");
    if (spec.float_min && v < *spec.float_min) return "is below the minimum " + number_text(*spec.float_min) + unit;
    if (spec.float_max && v > *spec.float_max) return "is above the maximum " + number_text(*spec.float_max) + unit;
    return std::nullopt;
  }
  if (!spec.max_len) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&value); s && s->size() > *spec.max_len) {
    return "is " + std::to_string(s->size()) + " bytes long, more than the maximum " + std::to_string(*spec.max_len) +
           " bytes";
  }
  if (const auto* a = std::get_if<std::vector<std::string>>(&value); a && a->size() > *spec.max_len) {
    return "has " + std::to_string(a->size()) + " items, more than the maximum " + std::to_string(*spec.max_len);
  }
  return std::nullopt;
}

}  // namespace butter::host
