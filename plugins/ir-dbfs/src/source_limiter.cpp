// Query rate per peer, address and prefix (see source_limiter.hpp).
#include "source_limiter.hpp"

#include "address_key.hpp"

namespace butter::dbfs {

const char* rate_verdict_name(RateVerdict v) {
  switch (v) {
    case RateVerdict::Allowed:
      return "allowed";
    case RateVerdict::Peer:
      return "over the per-peer query rate";
    case RateVerdict::Address:
      return "over the per-address query rate";
    case RateVerdict::Prefix:
      return "over the per-prefix query rate";
  }
  return "?";
}

SourceLimiter::SourceLimiter(const Limits& lim)
    : peers_(lim.rate_per_s, lim.burst, lim.rate_peers),
      addresses_(lim.address_rate_per_s, lim.address_burst, lim.rate_addresses),
      prefixes_(lim.prefix_rate_per_s, lim.prefix_burst, lim.rate_addresses) {}

RateVerdict SourceLimiter::allow(const std::string& peer, std::string_view remote_address, std::uint64_t now_ms) {
  const SourceKeys k = source_keys(remote_address);
  // Three lookups first (each in its own table, so none evicts another's entry), then spend only
  // when all three have a token.
  butter::TokenBucket& p = peers_.bucket(peer, now_ms);
  butter::TokenBucket* a = k.address.empty() ? nullptr : &addresses_.bucket(k.address, now_ms);
  butter::TokenBucket* x = k.prefix.empty() ? nullptr : &prefixes_.bucket(k.prefix, now_ms);
  if (!p.has(now_ms)) return RateVerdict::Peer;
  if (a && !a->has(now_ms)) return RateVerdict::Address;
  if (x && !x->has(now_ms)) return RateVerdict::Prefix;
  p.take(now_ms);
  if (a) a->take(now_ms);
  if (x) x->take(now_ms);
  return RateVerdict::Allowed;
}

}  // namespace butter::dbfs
