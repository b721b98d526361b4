// SourceLimiter: the query rate a node accepts from where a query comes from. A peer (node id) has
// its bucket, but node ids cost nothing to make, so the remote address of the peer's connection
// (by address, IPv6 by /64) and its prefix (IPv4 /24, IPv6 /48) have one each, shared by every node
// id behind them. A query takes a token from each of its buckets, and only when all have one (a
// refused query costs the others nothing). Every table is bounded (butter::TokenBucketTable: the
// least recently used key is forgotten, and comes back with a full bucket).
#pragma once
#include "limits.hpp"

#include <butter/cpp/token_bucket_table.hpp>

#include <string>
#include <string_view>

namespace butter::dbfs {

enum class RateVerdict { Allowed, Peer, Address, Prefix };
const char* rate_verdict_name(RateVerdict v);

class SourceLimiter {
 public:
  explicit SourceLimiter(const Limits& lim);
  // One query from `peer` whose connection's remote address is `remote_address` (empty: unknown,
  // then only the peer's bucket applies).
  RateVerdict allow(const std::string& peer, std::string_view remote_address, std::uint64_t now_ms);
  std::size_t peers() const { return peers_.size(); }
  std::size_t addresses() const { return addresses_.size(); }
  std::size_t prefixes() const { return prefixes_.size(); }

 private:
  butter::TokenBucketTable peers_, addresses_, prefixes_;
};

}  // namespace butter::dbfs
