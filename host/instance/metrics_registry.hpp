// MetricsRegistry: counters and gauges of one node, rendered in the Prometheus text format.
// Every series is named butter_<name> and labelled with the node and, for plugin metrics, the
// plugin instance. Threading: the node's strand.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace butter::host {

class MetricsRegistry {
 public:
  // False when `name` is not [a-zA-Z_][a-zA-Z0-9_]* (or longer than 128).
  static bool valid_name(std::string_view name);

  bool counter_add(const std::string& instance, std::string_view name, std::uint64_t delta);
  bool gauge_set(const std::string& instance, std::string_view name, double value);
  bool describe(std::string_view name, std::string_view help);
  // Drops every series of an instance (it was stopped or isolated).
  void forget(const std::string& instance);

  std::uint64_t counter(const std::string& instance, std::string_view name) const;

  // `extra` is appended verbatim (host-level series rendered by the caller).
  std::string render(const std::string& node_label) const;

 private:
  enum class Kind { Counter, Gauge };
  struct Series {
    Kind kind = Kind::Counter;
    double value = 0;
  };
  // name -> instance -> series
  std::map<std::string, std::map<std::string, Series>> series_;
  std::map<std::string, std::string> help_;
};

// Escapes a Prometheus label value.
std::string prometheus_escape(std::string_view value);

}  // namespace butter::host
