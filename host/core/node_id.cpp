#include "core/node_id.hpp"

#include <butter/wire.hpp>

#include <random>

namespace butter::host {

NodeId NodeId::random() {
  std::random_device rd;
  NodeId id;
  for (auto& b : id.bytes) b = static_cast<std::uint8_t>(rd());
  return id;
}

std::optional<NodeId> NodeId::from_hex(std::string_view hex) {
  NodeId id;
  if (!wire::from_hex(hex, id.bytes)) return std::nullopt;
  return id;
}

std::string NodeId::hex() const { return wire::to_hex(bytes); }

}  // namespace butter::host
