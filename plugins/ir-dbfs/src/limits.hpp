// The limits that protect the network from a query: TTL, fan-out, size, terms, the message budget
// (budget.hpp), and query rates per peer, per source address and per prefix (source_limiter.hpp).
// A query over a limit is dropped and counted, never forwarded.
#pragma once
#include <butter/cpp/token_bucket_table.hpp>
#include "messages.hpp"

#include <cstdint>
#include <string>

namespace butter::dbfs {

struct Limits {
  std::uint32_t max_ttl = 7;      // queries arriving with a larger TTL are dropped
  std::uint32_t max_fanout = 16;  // a node forwards one query to at most this many neighbours
  std::uint32_t max_terms = 8;
  std::uint32_t max_term_len = 64;
  std::uint32_t max_query_bytes = 1024;
  std::uint32_t max_results = 256;  // a query may ask for at most this many results
  double rate_per_s = 50;           // queries accepted per second from one peer (sustained)
  double burst = 100;               // and in one burst
  std::uint32_t rate_peers = 1024;  // peers the rate limiter keeps buckets for
  // Node ids are free to make: the sender's address and prefix (address_key.hpp) share buckets.
  double address_rate_per_s = 50;  // queries accepted per second from one address (IPv6: /64)
  double address_burst = 100;
  double prefix_rate_per_s = 200;  // and from one prefix (IPv4 /24, IPv6 /48)
  double prefix_burst = 400;
  std::uint32_t rate_addresses = 4096;  // addresses (and prefixes) the limiter keeps buckets for
  // The message budget (budget.hpp): what one query may cost the network at most.
  std::uint32_t max_budget = 4096;      // budget of this node's searches; incoming budgets are clamped to it
  std::uint32_t legacy_budget = 64;     // budget of a version-1 QUERY, which carries none
  std::uint32_t max_hit_messages = 32;  // HITS messages relayed for one query at most
};

// Why a query is refused; None when acceptable.
enum class Refusal { None, Ttl, Terms, TermLength, Size, MaxResults };
const char* refusal_name(Refusal r);

// Checks a decoded query of `wire_bytes` bytes against the limits.
Refusal check_query(const Limits& lim, const Query& q, std::size_t wire_bytes);

// One token bucket per peer, refilled at rate_per_s up to burst. Bounded: beyond rate_peers the
// bucket used least recently is forgotten (a forgotten peer starts again with a full bucket).
class RateLimiter {
 public:
  explicit RateLimiter(const Limits& lim) : buckets_(lim.rate_per_s, lim.burst, lim.rate_peers) {}
  // Takes one token for `peer` at `now_ms`; false when the peer is over its rate.
  bool allow(const std::string& peer, std::uint64_t now_ms) { return buckets_.take(peer, now_ms); }
  std::size_t size() const { return buckets_.size(); }

 private:
  butter::TokenBucketTable buckets_;
};

}  // namespace butter::dbfs
