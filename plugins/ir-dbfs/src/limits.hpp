// The limits that protect the network from a query: TTL, fan-out, size, terms, and a per-peer
// query rate (token bucket). A query over a limit is dropped and counted, never forwarded.
#pragma once
#include "messages.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace butter::dbfs {

struct Limits {
  std::uint32_t max_ttl = 7;          // queries arriving with a larger TTL are dropped
  std::uint32_t max_fanout = 16;      // a node forwards one query to at most this many neighbours
  std::uint32_t max_terms = 8;
  std::uint32_t max_term_len = 64;
  std::uint32_t max_query_bytes = 1024;
  std::uint32_t max_results = 256;    // a query may ask for at most this many results
  double rate_per_s = 50;             // queries accepted per second from one peer (sustained)
  double burst = 100;                 // and in one burst
  std::uint32_t rate_peers = 1024;    // peers the rate limiter keeps buckets for
};

// Why a query is refused; None when acceptable.
enum class Refusal { None, Ttl, Terms, TermLength, Size, MaxResults };
const char* refusal_name(Refusal r);

// Checks a decoded query of `wire_bytes` bytes against the limits.
Refusal check_query(const Limits& lim, const Query& q, std::size_t wire_bytes);

// One token bucket per peer, refilled at rate_per_s up to burst. Bounded: beyond rate_peers the
// bucket idle longest is forgotten (a forgotten peer starts again with a full bucket).
class RateLimiter {
 public:
  explicit RateLimiter(const Limits& lim) : rate_(lim.rate_per_s), burst_(lim.burst), max_peers_(lim.rate_peers) {}
  // Takes one token for `peer` at `now_ms`; false when the peer is over its rate.
  bool allow(const std::string& peer, std::uint64_t now_ms);
  std::size_t size() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    std::uint64_t last_ms = 0;
  };
  double rate_, burst_;
  std::size_t max_peers_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace butter::dbfs
