// Nodes of the membership tests by number: node i's id, public key, endpoint and a record of it
// (unsigned: the tests' environments say yes to every signature). Shared by the engine tests.
#pragma once
#include "peer_record.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace butter::knownhosts::test_fixtures {

inline constexpr std::uint64_t kUnix = 1'800'000'000'000;  // the tests' wall clock at start

// Node i's id: 64 hex digits of i + 1 (the hex of key_of(i)).
inline std::string id_of(unsigned i) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", i + 1);
  return hex;
}

inline std::array<std::uint8_t, 32> key_of(unsigned i) {
  std::array<std::uint8_t, 32> k{};
  const unsigned v = i + 1;
  k[28] = static_cast<std::uint8_t>(v >> 24);
  k[29] = static_cast<std::uint8_t>(v >> 16);
  k[30] = static_cast<std::uint8_t>(v >> 8);
  k[31] = static_cast<std::uint8_t>(v);
  return k;
}

inline std::string endpoint_of(unsigned i) {
  return "tcp://127.0." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) + ":7000";
}

// A record of node i issued at `issued` (unix ms), with a zero signature.
inline PeerRecord record_of(unsigned i, std::uint64_t issued = kUnix) {
  return make_record(key_of(i), issued, issued, {endpoint_of(i)},
                     [](const std::vector<std::uint8_t>&) { return std::array<std::uint8_t, 64>{}; });
}

}  // namespace butter::knownhosts::test_fixtures
