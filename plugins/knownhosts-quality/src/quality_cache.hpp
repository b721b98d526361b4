// QualityCache: the admission and eviction rule of the known-host cache, as pure logic.
//
// Below capacity every host is kept (memory greedy), within the per-address and per-prefix
// bounds. At capacity, each host falls into one of 8 classes — one bit per metric (uptime, free
// storage, hosts known), set when the metric is above the mean of the hosts in the cache. A
// newcomer whose class is (one of) the most crowded is refused; otherwise one host of the most
// crowded class is evicted to make room (diversity).
//
// Sybil resistance (the hostile-peer issue): node ids cost nothing, addresses do.
//  - Admission is bounded per address and per network prefix (butter/network_key.hpp: IPv4
//    address and /24, IPv6 /64 and /48) of HostEntry::address — the address this node observed
//    (the connection's remote address) where there is one, else the signed record's endpoint.
//    The prefixes of this node's own endpoints (its LAN) are bounded per address only.
//    A newcomer over a bound is refused, except that it may take the place of a member of its own
//    full address (or prefix) that failed a probe or never answered: it never evicts a host of
//    another prefix, and never one this node saw answering. Loopback is exempt unless configured.
//  - Classes rank by what this node observed, not by what a host claims: the uptime counted is
//    the claimed uptime capped at the time this node has observed the host answering (first to
//    latest answer), and claimed free storage and hosts known count only for a host observed for
//    at least `established_ms`. A fresh id claiming the top of every metric ranks at the bottom.
//  - At capacity a newcomer evicts only a member that failed a probe or is not yet established:
//    long-observed hosts are kept; eviction takes the most failures, then the shortest observed.
//
// Where the Go prototype drifted, this stays exact:
//  - means are recomputed on every decision (no running counters to drift), over the population
//    being chosen from: the members and the newcomer. (Over the members alone, a cache whose
//    members are all equal puts them all "low", and every newcomer below them "low" too, so it
//    could never diversify.)
//  - when no class holds two members the cache is as diverse as its size allows: newcomers are
//    refused rather than swapped in and out (capacity 1 keeps its host until that host fails);
//  - "above the mean" is strict, compared exactly in integers (value * n > sum), so equal
//    metrics never flip between classes through rounding;
//  - ties are broken deterministically: among equally crowded classes the lowest class index is
//    the one evicted from; within a class, the host with the most failures, then the shortest
//    observed, then the least recently seen, then the smallest node id goes first;
//  - capacity 0 is treated as 1; a cache that knows nobody admits anybody.
#pragma once
#include <butter/network_key.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace butter::knownhosts {

struct Quality {
  std::uint64_t uptime_s = 0;
  std::uint64_t free_storage = 0;
  std::uint32_t hosts_known = 0;
};

struct HostEntry {
  std::string id;  // 64 hex digits
  std::vector<std::string> endpoints;
  Quality quality;                  // as the host claims it (see effective_quality)
  std::uint64_t last_seen_ms = 0;   // 0: never answered us (learned from a signed record)
  std::uint64_t first_seen_ms = 0;  // its first answer this node observed; kept across updates
  std::uint32_t answers = 0;        // answers (and requests) observed; added up across updates
  std::uint32_t failures = 0;
  bool quality_known = true;  // false until it answered a quality request
  // The address admission is bounded by: the connection's remote address where this node
  // observed one, else an endpoint of the host's signed record (admission_address()).
  std::string address;
  NetworkKey network;  // network_key(address), kept by the cache (parsed once, compared often)
};

// How long this node has observed `h` answering: first to latest answer, in ms.
std::uint64_t observed_ms(const HostEntry& h);

// The address to bound `h` by: `observed` (the remote address of its connection) when known,
// else its first endpoint with an IP address, else its first endpoint, else "".
std::string admission_address(const std::string& observed, const std::vector<std::string>& endpoints);

// The per-address and per-prefix bounds, and when a host's observation outweighs claims.
struct AdmissionLimits {
  std::size_t per_address = 2;  // ids per address (IPv6: per /64)
  std::size_t per_prefix = 8;   // ids per /24 (IPv6: per /48)
  bool loopback_exempt = true;  // 127/8 and ::1 are not bounded (local tests, `butter demo`)
  // Observed this long: its claimed free storage and hosts known count, and a newcomer never
  // evicts it. 0: claims count at once and anybody may be evicted (the rule before sybil bounds).
  std::uint64_t established_ms = 60000;
};

// What ranks a host: its claims capped by what this node observed (see the header comment).
Quality effective_quality(const HostEntry& h, std::uint64_t established_ms);

// Sums of each metric over the members, as unsigned 128-bit integers (no overflow for any
// realistic cache), with the member count: mean comparisons are exact.
__extension__ typedef unsigned __int128 Sum128;  // GCC/Clang extension; exact mean comparisons

struct Means {
  Sum128 uptime = 0, storage = 0, hosts = 0;
  std::uint64_t n = 0;
};

int quality_class(const Quality& q, const Means& m);

// Updated: a member was seen again and something a subscriber acts on changed (its endpoints,
// free storage, hosts known, or its class). Refreshed: seen again, nothing of that changed (its
// uptime grows on every probe, which alone is not news).
// Dropped: a member seen again from an address whose bound it exceeds was removed.
enum class Admission { Added, Updated, Refreshed, Replaced, Refused, Dropped };

// Why a newcomer was refused (for the metrics): the class rule, or an address / prefix bound.
enum class Refusal { None, Class, Address, Prefix };

struct AdmitResult {
  Admission outcome = Admission::Refused;
  std::optional<std::string> evicted;  // set with Replaced
  Refusal refusal = Refusal::None;     // set with Refused and Dropped
};

class QualityCache {
 public:
  explicit QualityCache(std::size_t capacity, AdmissionLimits limits = {})
      : capacity_(capacity == 0 ? 1 : capacity), limits_(limits) {}

  const AdmissionLimits& limits() const { return limits_; }
  void set_limits(const AdmissionLimits& l) { limits_ = l; }
  // This node's own endpoints: their prefixes are its LAN, not bounded per prefix (ten hosts on
  // one /24 are neighbours, not sybils); the per-address bound still applies there.
  void set_own_endpoints(const std::vector<std::string>& endpoints);

  std::size_t capacity() const { return capacity_; }
  void set_capacity(std::size_t c);  // shrinking evicts by the same rule until it fits
  std::size_t size() const { return hosts_.size(); }

  // Adds a host whose quality is known, or updates it when already a member. A member's known
  // endpoints are kept when the candidate brings none (a quality request may carry none).
  AdmitResult admit(const HostEntry& candidate);
  bool remove(const std::string& id);
  const HostEntry* find(const std::string& id) const;
  HostEntry* find_mut(const std::string& id);
  const std::map<std::string, HostEntry>& hosts() const { return hosts_; }

  Means means() const;  // of the effective qualities
  Quality effective(const HostEntry& h) const { return effective_quality(h, limits_.established_ms); }
  int class_of(const std::string& id) const;
  std::array<std::size_t, 8> class_counts() const;

  // Up to k hosts spread across classes (round-robin over classes, random within a class).
  std::vector<const HostEntry*> sample(std::size_t k, std::mt19937_64& rng) const;

 private:
  // The id that the rule would evict (most crowded class, then the tie-break order); with
  // `evictable_only`, only a member that failed or is not established; "" when none.
  std::string eviction_victim(const Means& m, int crowded_class, bool evictable_only) const;
  bool evictable(const HostEntry& h) const;
  // Keys of a parsed address under the limits: empty when exempt (loopback) or unknown; no
  // prefix in this node's own prefixes.
  NetworkKey bounded(NetworkKey k) const;
  // The bound `address` would exceed with one more host (members other than `except` counted).
  Refusal over_bound(const NetworkKey& k, const std::string& except) const;
  AdmitResult admit_over_bound(const HostEntry& candidate, const NetworkKey& k, Refusal bound);

  std::size_t capacity_;
  AdmissionLimits limits_;
  std::vector<std::string> own_prefixes_;
  std::map<std::string, HostEntry> hosts_;  // ordered by id: deterministic iteration
};

}  // namespace butter::knownhosts
