#include "instance/metrics_registry.hpp"

#include <cmath>
#include <cstdio>

namespace butter::host {

bool MetricsRegistry::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

bool MetricsRegistry::counter_add(const std::string& instance, std::string_view name, std::uint64_t delta) {
  if (!valid_name(name)) return false;
  auto& s = series_[std::string(name)][instance];
  if (s.kind != Kind::Counter && s.value != 0) return false;  // a gauge already has this name
  s.kind = Kind::Counter;
  s.value += static_cast<double>(delta);
  return true;
}

bool MetricsRegistry::gauge_set(const std::string& instance, std::string_view name, double value) {
  if (!valid_name(name) || !std::isfinite(value)) return false;
  auto& s = series_[std::string(name)][instance];
  s.kind = Kind::Gauge;
  s.value = value;
  return true;
}

bool MetricsRegistry::describe(std::string_view name, std::string_view help) {
  if (!valid_name(name)) return false;
  std::string h;
  for (char c : help) h += (c == '\n') ? ' ' : c;
  help_[std::string(name)] = h.substr(0, 512);
  return true;
}

void MetricsRegistry::forget(const std::string& instance) {
  for (auto it = series_.begin(); it != series_.end();) {
    it->second.erase(instance);
    it = it->second.empty() ? series_.erase(it) : std::next(it);
  }
}

std::uint64_t MetricsRegistry::counter(const std::string& instance, std::string_view name) const {
  auto it = series_.find(std::string(name));
  if (it == series_.end()) return 0;
  auto jt = it->second.find(instance);
  return jt == it->second.end() ? 0 : static_cast<std::uint64_t>(jt->second.value);
}

std::string prometheus_escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string MetricsRegistry::render(const std::string& node_label) const {
  std::string out;
  char number[64];
  for (const auto& [name, by_instance] : series_) {
    if (by_instance.empty()) continue;
    auto help = help_.find(name);
    if (help != help_.end()) out += "# HELP butter_" + name + " " + help->second + "\n";
    out += "# TYPE butter_" + name + (by_instance.begin()->second.kind == Kind::Counter ? " counter\n" : " gauge\n");
    for (const auto& [instance, s] : by_instance) {
      std::snprintf(number, sizeof number, "%.17g", s.value);
      out += "butter_" + name + "{node=\"" + prometheus_escape(node_label) + "\"";
      if (!instance.empty()) out += ",plugin=\"" + prometheus_escape(instance) + "\"";
      out += "} ";
      out += number;
      out += "\n";
    }
  }
  return out;
}

}  // namespace butter::host
