// SHA-256 through OpenSSL 3's libcrypto (libsodium's as the fallback), hex conversion, and the
// rendezvous rank.
//
// Every block is hashed where it is stored, fetched and served, so the hash bounds what one core
// moves: libsodium's portable SHA-256 runs at about 280 MB/s here, OpenSSL's at about 1500 MB/s
// (the CPU's SHA instructions, or its SIMD code where a CPU has none): measured with 64 KiB
// blocks on this project's 2-core test machine.
#include "hash.hpp"

#include <butter/wire.hpp>
#include <openssl/evp.h>
#include <sodium.h>

namespace butter::pcg {

Hash sha256(std::span<const std::uint8_t> data) {
  Hash h{};
  unsigned int len = 0;
  // EVP_sha256(), not a method fetched once and kept: this code lives in a plugin, and a kept
  // method is lost (leaked) when the plugin is unloaded; libcrypto caches the implicit fetch.
  if (EVP_Digest(data.data(), data.size(), h.data(), &len, EVP_sha256(), nullptr) == 1 && len == h.size()) return h;
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
  wire::Reader o(object.data(), 16), n(node.data(), 16);
  const std::uint64_t a = o.u64(), b = o.u64();
  const std::uint64_t c = n.u64(), d = n.u64();
  std::uint64_t z = (a ^ c) + 0x9e3779b97f4a7c15ull * (b ^ d ^ 0x5bd1e995ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace butter::pcg
