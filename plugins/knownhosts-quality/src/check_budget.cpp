// CheckBudget: signature checks bounded node-wide and per sender.
#include "check_budget.hpp"

namespace butter::knownhosts {

CheckBudget::CheckBudget(double rate_per_s, double burst, std::uint64_t now_ms, double share, std::size_t max_senders)
    : node_(rate_per_s, burst, now_ms), senders_(rate_per_s * share, burst * share, max_senders) {}

bool CheckBudget::take(const std::string& sender, std::uint64_t now_ms) {
  butter::TokenBucket& mine = senders_.bucket(sender, now_ms);
  if (!mine.has(now_ms) || !node_.has(now_ms)) return false;
  mine.take(now_ms);
  node_.take(now_ms);
  return true;
}

}  // namespace butter::knownhosts
