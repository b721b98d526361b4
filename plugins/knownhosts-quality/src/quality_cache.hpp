// QualityCache: the admission and eviction rule of the known-host cache, as pure logic.
//
// Below capacity every host is kept (memory greedy), within the per-address and per-prefix
// bounds. At capacity, each host falls into one of 8 classes — one bit per metric (uptime, free
// storage, hosts known), set when the metric is in the upper half of the hosts in the cache (at or
// above the median and above the least: class_ranks.hpp). A newcomer whose class is (one of) the
// most crowded is refused; otherwise one host of the most crowded class is evicted to make room
// (diversity).
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
//    Claims count up to plausible bounds (`max_free_storage`, `hosts_known_per_capacity` times
//    this node's capacity), and split by rank, not by the mean: ids that answered for a minute and
//    then claim 2^64 bytes free move the median by one rank each (with the mean, 8 such ids of 100
//    put every honest host in the low classes and had classes of their own).
//  - sample() draws each class in proportion to its size (round-robin over classes, before, gave
//    a class of 8 such ids half of a 16-host sample) and at most one host per network (/24, /48,
//    a relay's ambassador) while others remain.
//  - At capacity a newcomer evicts only a member that failed a probe or is not yet established:
//    long-observed hosts are kept; eviction takes the most failures, then the shortest observed.
//  - Hosts known only from a signed record (never answered: first_seen_ms == 0) cost nothing to
//    make: any key signs a record with any endpoints (relay://a@/N has no IP, and IPs can be spread
//    over many /24s), and the exchange feeds them at the signature budget. They hold at most
//    `unanswered_share` of the capacity, and at capacity a newcomer that answered takes the place
//    of one of them before the class rule is asked (all of them rank class 0, as does a host that
//    just answered: a cache filled with them refused every honest newcomer, its class being the
//    most crowded). A newcomer that never answered takes nobody's place but theirs (or a failed one's).
//
// Where the Go prototype drifted, this stays exact:
//  - the class thresholds are of the population being chosen from: the members and the newcomer.
//    (Over the members alone, a cache whose members are all equal puts them all "low", and every
//    newcomer below them "low" too, so it could never diversify.) They are exact order statistics
//    kept as members come, change and go (ClassRanks), not sums that could drift;
//  - when no class holds two members the cache is as diverse as its size allows: newcomers are
//    refused rather than swapped in and out (capacity 1 keeps its host until that host fails);
//  - equal values always share a bit (the split is by value at a rank, compared in integers);
//  - ties are broken deterministically: among equally crowded classes the lowest class index is
//    the one evicted from; within a class, the host with the most failures, then the shortest
//    observed, then the least recently seen, then the smallest node id goes first;
//  - capacity 0 is treated as 1; a cache that knows nobody admits anybody.
#pragma once
#include "class_ranks.hpp"

#include <butter/network_key.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace butter::knownhosts {

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
  // Members known only from a signed record (never answered) hold at most this share of the
  // capacity (at least one): the rest is for hosts this node heard from. 1: no bound.
  double unanswered_share = 0.25;
  // Claims beyond these are not plausible and count as these: 1 PiB free, and a node knows at
  // most its own cache, sized from a memory budget like ours (within a factor).
  std::uint64_t max_free_storage = std::uint64_t{1} << 50;
  std::uint32_t hosts_known_per_capacity = 8;
};

// What ranks a host: its claims capped by what this node observed (see the header comment);
// QualityCache::effective also caps them at the plausible bounds.
Quality effective_quality(const HostEntry& h, std::uint64_t established_ms);

// Updated: a member was seen again and something a subscriber acts on changed (its endpoints,
// free storage, hosts known, or its class). Refreshed: seen again, nothing of that changed (its
// uptime grows on every probe, which alone is not news).
// Dropped: a member seen again from an address whose bound it exceeds was removed.
enum class Admission { Added, Updated, Refreshed, Replaced, Refused, Dropped };

// Why a newcomer was refused (for the metrics): the class rule, an address / prefix bound, or the
// bound on members that never answered.
enum class Refusal { None, Class, Address, Prefix, Unanswered };

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
  void set_limits(const AdmissionLimits& l);
  // This node's own endpoints: their prefixes are its LAN, not bounded per prefix (ten hosts on
  // one /24 are neighbours, not sybils); the per-address bound still applies there.
  void set_own_endpoints(const std::vector<std::string>& endpoints);

  std::size_t capacity() const { return capacity_; }
  void set_capacity(std::size_t c);  // shrinking evicts by the same rule until it fits
  std::size_t size() const { return hosts_.size(); }
  // Members known only from a signed record, and how many of them the cache holds at most.
  std::size_t unanswered() const { return unanswered_.size(); }
  std::size_t unanswered_max() const;

  // Adds a host whose quality is known, or updates it when already a member. A member's known
  // endpoints are kept when the candidate brings none (a quality request may carry none).
  AdmitResult admit(const HostEntry& candidate);
  bool remove(const std::string& id);
  const HostEntry* find(const std::string& id) const;
  // For what no index depends on (failures, endpoints): never the id, address, network, times
  // seen or quality (admit() changes those).
  HostEntry* find_mut(const std::string& id);
  const std::map<std::string, HostEntry>& hosts() const { return hosts_; }

  Thresholds thresholds() const { return ranks_.thresholds(); }  // of the effective qualities
  Quality effective(const HostEntry& h) const;
  int class_of(const std::string& id) const;
  std::array<std::size_t, 8> class_counts() const;

  // Up to k hosts, at random: each class in proportion to its size (a class of s members gets
  // floor or ceil of k s / n), and at most one host per network while the sample can do without.
  std::vector<const HostEntry*> sample(std::size_t k, std::mt19937_64& rng) const;

  using KeyIndex = std::map<std::string, std::set<const HostEntry*>>;

 private:
  // Who may be evicted: anybody (shrinking), a member that failed or is not established (for a
  // newcomer that answered), a member that failed or never answered (for one that never answered).
  enum class Victims { Any, Evictable, Unheard };
  // The id that the rule would evict (most crowded class, then the tie-break order); "" when none.
  std::string eviction_victim(const Thresholds& t, int crowded_class, Victims who) const;
  bool evictable(const HostEntry& h) const;
  // Keys of a parsed address under the limits: empty when exempt (loopback) or unknown; no
  // prefix in this node's own prefixes.
  NetworkKey bounded(NetworkKey k) const;
  // The network a sample takes one host of: the bounded prefix, a relay's ambassador, else the
  // bounded address ("" when exempt).
  std::string sample_network(const HostEntry& h) const;
  // The bound `address` would exceed with one more host (members other than `except` counted).
  Refusal over_bound(const NetworkKey& k, const std::string& except) const;
  AdmitResult admit_over_bound(const HostEntry& candidate, const NetworkKey& k, Refusal bound);
  // The member that never answered to go first (most failures, then smallest id); "" when none.
  std::string unanswered_victim() const;
  // Every change to hosts_ goes through these, which keep the indexes below in step: a member
  // that changes is unindexed before and indexed after.
  void insert(const HostEntry& h, const NetworkKey& network);
  void erase(const std::string& id);
  void index(const HostEntry& h);
  void unindex(const HostEntry& h);
  void reindex();  // after what effective() depends on changed (capacity, limits)

  std::size_t capacity_;
  AdmissionLimits limits_;
  std::vector<std::string> own_prefixes_;
  std::map<std::string, HostEntry> hosts_;  // ordered by id: deterministic iteration
  std::set<std::string> unanswered_;        // members with first_seen_ms == 0
  ClassRanks ranks_;                        // of the members' effective qualities
  // Members by the keys they are bounded by (bounded(network)): the bounds are counted, and a
  // full group's members found, without a pass over the cache. Pointers into hosts_ (a map's
  // nodes stay put): a member is unindexed before it changes or goes.
  KeyIndex by_address_, by_prefix_;
};

}  // namespace butter::knownhosts
