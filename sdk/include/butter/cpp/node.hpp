// butter/cpp/node.hpp — "butter.node/1": facts about the node the instance runs in.
// id/name/uptime/memory budget/data dir are [any-thread]; endpoints() is [node].
#pragma once

#include <butter/cpp/core.hpp>

#include <chrono>

namespace butter {

class Node {
 public:
  explicit Node(const detail::Core* core) noexcept : core_(core) {}

  // 64 lowercase hex digits; owned by the host, valid until the instance is destroyed.
  std::string_view id() const { return to_sv(vt().id(core_->host)); }
  // The node's name from the manifest (valid until destroy).
  std::string_view name() const { return to_sv(vt().name(core_->host)); }
  // This instance's name from the manifest ("echo" for [plugins.echo]) (valid until destroy).
  std::string_view instance_name() const { return to_sv(vt().instance_name(core_->host)); }
  std::chrono::milliseconds uptime() const { return std::chrono::milliseconds(vt().uptime_ms(core_->host)); }
  // Bytes; size caches from it.
  std::uint64_t memory_budget() const { return vt().memory_budget(core_->host); }
  // This instance's own data directory, or empty when the node keeps no data (valid until destroy).
  std::string_view data_dir() const { return to_sv(vt().data_dir(core_->host)); }
  // The URIs the node listens on ("tcp://127.0.0.1:7000"), copied. [node]
  std::vector<std::string> endpoints() const {
    const auto& v = vt();
    std::vector<std::string> out;
    const std::uint32_t n = v.endpoint_count(core_->host);
    out.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) out.emplace_back(to_sv(v.endpoint(core_->host, i)));
    return out;
  }

 private:
  const butter_node_v1& vt() const { return core_->need(core_->ext.node, BUTTER_EXT_NODE); }
  const detail::Core* core_;
};

}  // namespace butter
