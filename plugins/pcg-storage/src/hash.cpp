// SHA-256 through libsodium, hex conversion, and the rendezvous rank.
#include "hash.hpp"

#include <butter/wire.hpp>
#include <sodium.h>

namespace butter::pcg {

Hash sha256(std::span<const std::uint8_t> data) {
  Hash h{};
  crypto_hash_sha256(h.data(), data.data(), data.size());
  return h;
}

Hash sha256(std::string_view data) {
  return sha256(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

std::string to_hex(const Hash& h) { return wire::to_hex(std::span<const std::uint8_t>(h)); }

bool from_hex(std::string_view hex, Hash& out) { return wire::from_hex(hex, std::span<std::uint8_t>(out)); }

bool is_id(std::string_view hex) { return wire::is_lower_hex(hex, 64); }

std::uint64_t rank(const Hash& object, const Hash& node) {
  // splitmix64 over the xor of the first 16 bytes of each: cheap, deterministic, well mixed.
  // Big-endian loads: the rank is the same on every machine.
  auto load = [](const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return v;
  };
  const std::uint64_t a = load(object.data()), b = load(object.data() + 8);
  const std::uint64_t c = load(node.data()), d = load(node.data() + 8);
  std::uint64_t z = (a ^ c) + 0x9e3779b97f4a7c15ull * (b ^ d ^ 0x5bd1e995ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace butter::pcg
