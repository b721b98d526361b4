// NodeId: the 32-byte identity of a node, shown as 64 lowercase hex digits.
// It is the node's Ed25519 public key (see core/identity.hpp); random() remains for tests and
// for ids that are never authenticated (plaintext debugging mode).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace butter::host {

struct NodeId {
  std::array<std::uint8_t, 32> bytes{};

  static NodeId random();
  // Parses 64 hex digits (either case); nullopt otherwise.
  static std::optional<NodeId> from_hex(std::string_view hex);
  std::string hex() const;
  // The first 8 hex digits: enough to tell nodes apart in logs.
  std::string short_hex() const { return hex().substr(0, 8); }

  friend bool operator==(const NodeId&, const NodeId&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 sees the defaulted <=>'s own `0`.
  friend auto operator<=>(const NodeId&, const NodeId&) = default;
};

struct NodeIdHash {
  std::size_t operator()(const NodeId& id) const noexcept {
    std::size_t h = 0;
    for (int i = 0; i < 8; ++i) h = (h << 8) | id.bytes[static_cast<std::size_t>(i)];
    return h;
  }
};

}  // namespace butter::host
