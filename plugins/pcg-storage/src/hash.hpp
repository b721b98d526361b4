// Hash: SHA-256 digests (OpenSSL's, hash.cpp says why) and the 64-hex-digit form used for
// object and node ids. The one place that knows which hash function addresses blocks.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace butter::pcg {

using Hash = std::array<std::uint8_t, 32>;

Hash sha256(std::span<const std::uint8_t> data);
Hash sha256(std::string_view data);

std::string to_hex(const Hash& h);
// 64 hex digits (any case) -> hash; false on anything else.
bool from_hex(std::string_view hex, Hash& out);
// True for exactly 64 lowercase hex digits (the canonical id form).
bool is_id(std::string_view hex);

// For hash tables keyed by ids. Hashes all 32 bytes: node ids are chosen by peers, who could pick
// many that share any fixed part.
struct HashOfId {
  std::size_t operator()(const Hash& h) const noexcept {
    return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
  }
};

// A 64-bit rank of `node` for `object`: the same on every node (rendezvous hashing), so leader
// and shedding choices spread across nodes instead of always falling on the same one.
std::uint64_t rank(const Hash& object, const Hash& node);

}  // namespace butter::pcg
