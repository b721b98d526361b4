// butter/testing/fake_node.hpp — the fake host's butter.log/1 (every line recorded) and
// butter.node/1 (a fixed identity; uptime follows the fake clock). Part of fake_host.hpp.
#pragma once

#include <butter/testing/fake_core.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace butter::testing {

template <class Host>
class FakeNode {
 public:
  std::vector<std::pair<std::int32_t, std::string>> logs;  // (level, line), every line logged
  bool logged(std::string_view needle) const {
    for (const auto& [level, line] : logs)
      if (line.find(needle) != std::string::npos) return true;
    return false;
  }
  std::string node_name = "fake-node";
  std::string instance_name = "probe";
  std::string data_dir;              // "" : no data directory
  std::uint64_t budget = 64u << 20;  // the instance's memory budget in bytes
  std::vector<std::string> endpoints = {"tcp://127.0.0.1:7000"};

 protected:
  static const void* extension(std::string_view id) {
    static const butter_log_v1 log_vt = {&log, &log_enabled};
    static const butter_node_v1 node_vt = {&node_id_fn,  &node_name_fn,   &uptime,   &budget_fn,
                                           &data_dir_fn, &endpoint_count, &endpoint, &instance_name_fn};
    if (id == BUTTER_EXT_LOG) return &log_vt;
    if (id == BUTTER_EXT_NODE) return &node_vt;
    return nullptr;
  }

 private:
  static FakeNode& of(const butter_host* h) { return Host::of(h); }
  // Logging is [any] in the real host: no thread check.
  static void log(const butter_host* h, std::int32_t level, butter_str msg) {
    of(h).logs.emplace_back(level, to_string(msg));
  }
  static std::int32_t log_enabled(const butter_host*, std::int32_t) { return 1; }
  static butter_str node_id_fn(const butter_host* h) { return str(Host::of(h).node_id); }
  static butter_str node_name_fn(const butter_host* h) { return str(of(h).node_name); }
  static std::uint64_t uptime(const butter_host* h) { return Host::of(h).now; }
  static std::uint64_t budget_fn(const butter_host* h) { return of(h).budget; }
  static butter_str data_dir_fn(const butter_host* h) { return str(of(h).data_dir); }
  static std::uint32_t endpoint_count(const butter_host* h) {
    return static_cast<std::uint32_t>(of(h).endpoints.size());
  }
  static butter_str endpoint(const butter_host* h, std::uint32_t i) {
    const auto& eps = of(h).endpoints;
    return i < eps.size() ? str(eps[i]) : butter_str{nullptr, 0};
  }
  static butter_str instance_name_fn(const butter_host* h) { return str(of(h).instance_name); }
};

}  // namespace butter::testing
