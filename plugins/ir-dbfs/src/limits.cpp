// Query limits and the per-peer token bucket.
#include "limits.hpp"

#include <algorithm>

namespace butter::dbfs {

const char* refusal_name(Refusal r) {
  switch (r) {
    case Refusal::None: return "none";
    case Refusal::Ttl: return "ttl over the maximum";
    case Refusal::Terms: return "too many terms";
    case Refusal::TermLength: return "term too long";
    case Refusal::Size: return "query too large";
    case Refusal::MaxResults: return "too many results asked";
  }
  return "?";
}

Refusal check_query(const Limits& lim, const Query& q, std::size_t wire_bytes) {
  if (q.ttl > lim.max_ttl) return Refusal::Ttl;
  if (wire_bytes > lim.max_query_bytes) return Refusal::Size;
  if (q.terms.size() > lim.max_terms) return Refusal::Terms;
  for (const auto& t : q.terms)
    if (t.size() > lim.max_term_len) return Refusal::TermLength;
  if (q.max_results > lim.max_results) return Refusal::MaxResults;
  return Refusal::None;
}

bool RateLimiter::allow(const std::string& peer, std::uint64_t now_ms) {
  auto it = buckets_.find(peer);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_peers_ && !buckets_.empty()) {
      auto idle = std::min_element(buckets_.begin(), buckets_.end(),
                                   [](const auto& a, const auto& b) { return a.second.last_ms < b.second.last_ms; });
      buckets_.erase(idle);
    }
    it = buckets_.emplace(peer, Bucket{burst_, now_ms}).first;
  }
  Bucket& b = it->second;
  if (now_ms > b.last_ms) {
    b.tokens = std::min(burst_, b.tokens + rate_ * static_cast<double>(now_ms - b.last_ms) / 1000.0);
    b.last_ms = now_ms;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace butter::dbfs
