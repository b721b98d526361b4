// Hash: SHA-256 digests (OpenSSL's, hash.cpp says why) and the 64-hex-digit form used for
// object and node ids. The one place that knows which hash function addresses blocks.
#pragma once
#include <array>
#include <cstdint>
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

// A 64-bit rank of `node` for `object`: the same on every node (rendezvous hashing), so leader
// and shedding choices spread across nodes instead of always falling on the same one.
std::uint64_t rank(const Hash& object, const Hash& node);

}  // namespace butter::pcg
