// Hosts and caches the known-host cache's tests share (quality_cache_test.cpp: the class rule;
// quality_cache_bounds_test.cpp: ranking by observation and the admission bounds).
#pragma once
#include "quality_cache.hpp"

#include <cstdint>
#include <string>

namespace butter::knownhosts::cache_hosts {

inline std::string id(int n) {
  std::string s = std::to_string(n);
  return std::string(64 - s.size(), '0') + s;
}

// The class rule's own tests use hosts whose claims this node has observed: the host answered
// over its whole claimed uptime (first answer `uptime` seconds before kBase), last seen at
// kBase + seen. Ranking by observation is tested in quality_cache_bounds_test.cpp, with the
// default limits.
inline constexpr std::uint64_t kBase = 10'000'000;

inline HostEntry host(int n, std::uint64_t uptime, std::uint64_t storage, std::uint32_t known, std::uint64_t seen = 0) {
  HostEntry h;
  h.id = id(n);
  h.quality = Quality{uptime, storage, known};
  h.first_seen_ms = kBase - uptime * 1000;
  h.last_seen_ms = kBase + seen;
  return h;
}

// A cache applying the class rule alone: claims count at once (established_ms = 0), no address
// bounds (the hosts have no address).
inline QualityCache rule_cache(std::size_t capacity) {
  AdmissionLimits l;
  l.established_ms = 0;
  return QualityCache(capacity, l);
}

// A host this node observed answering from `address` for `observed_s` seconds up to `now`.
inline HostEntry observed(int n, const std::string& address, std::uint64_t observed_s, std::uint64_t now = kBase) {
  HostEntry h;
  h.id = id(n);
  h.address = address;
  h.quality = Quality{observed_s, 1000, 10};
  h.first_seen_ms = now - observed_s * 1000;
  h.last_seen_ms = now;
  h.answers = 1;
  return h;
}

// A fresh id (first answer now) claiming the top of every metric.
inline HostEntry sybil(int n, const std::string& address, std::uint64_t now = kBase) {
  HostEntry h = observed(n, address, 0, now);
  h.quality = Quality{1'000'000'000, 1ULL << 50, 1'000'000};
  return h;
}

inline int bits(int cls) { return __builtin_popcount(static_cast<unsigned>(cls)); }

}  // namespace butter::knownhosts::cache_hosts
