// The wiring of a node's plugin instances from what each provides and requires: start order,
// and every wiring error before anything starts (a required interface nobody provides, an
// interface provided twice, a cycle). Deterministic: among instances free to start, manifest order.
#pragma once
#include "manifest/manifest.hpp"

#include <optional>
#include <string>
#include <vector>

namespace butter::host {

struct GraphNode {
  std::string instance;
  std::vector<std::string> provides, required, optional;
  SourcePos pos;  // of the instance's manifest table, for errors
};

// Returns the start order (indices into `nodes`); stop in reverse. On error, every problem goes to
// `diags` and the result is nullopt:
//   "plugin 'chat' requires butter.storage/1, which no plugin in this manifest provides"
//   "butter.peers/1 is provided by both 'kh' (m.toml:9:1) and 'kh2'"
//   "dependency cycle: a -> b -> a"
// `optional` only orders (a provider present starts first) and is ignored when absent.
std::optional<std::vector<std::size_t>> order_plugins(const std::vector<GraphNode>& nodes, Diagnostics& diags);

}  // namespace butter::host
