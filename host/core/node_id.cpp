#include "core/node_id.hpp"

#include <random>

namespace butter::host {

NodeId NodeId::random() {
  std::random_device rd;
  NodeId id;
  for (auto& b : id.bytes) b = static_cast<std::uint8_t>(rd());
  return id;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<NodeId> NodeId::from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  NodeId id;
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return id;
}

std::string NodeId::hex() const {
  static const char* digits = "0123456789abcdef";
  std::string s(64, '0');
  for (std::size_t i = 0; i < 32; ++i) {
    s[2 * i] = digits[bytes[i] >> 4];
    s[2 * i + 1] = digits[bytes[i] & 15];
  }
  return s;
}

}  // namespace butter::host
