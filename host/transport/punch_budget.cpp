// PunchBudget: token buckets per destination IP (a bounded LRU table) and one for the node.
#include "transport/punch_budget.hpp"

#include <algorithm>

namespace butter::host {

namespace {

// The buckets count steady_clock nanoseconds; a time before the clock's epoch (only a test's
// made-up clock could give one) counts as 0, and a clock that goes back refills nothing.
std::uint64_t ticks(PunchBudget::TimePoint t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return ns > 0 ? static_cast<std::uint64_t>(ns) : 0;
}

// Limits of 0 raised to 1 (a budget that never allows anything is a misconfiguration).
PunchBudgetLimits raised(PunchBudgetLimits l) {
  l.per_ip_per_minute = std::max<std::uint32_t>(l.per_ip_per_minute, 1);
  l.per_ip_burst = std::max<std::uint32_t>(l.per_ip_burst, 1);
  l.spread_per_ip_per_minute = std::max<std::uint32_t>(l.spread_per_ip_per_minute, 1);
  l.per_second = std::max<std::uint32_t>(l.per_second, 1);
  l.max_ips = std::max<std::size_t>(l.max_ips, 1);
  return l;
}

}  // namespace

PunchBudget::PunchBudget(PunchBudgetLimits limits)
    : limits_(raised(limits)),
      per_ip_(static_cast<double>(limits_.per_ip_per_minute) / 60.0, limits_.per_ip_burst, limits_.max_ips),
      spread_per_ip_(static_cast<double>(limits_.spread_per_ip_per_minute) / 60.0, limits_.spread_per_ip_per_minute,
                     limits_.max_ips) {}

bool PunchBudget::take(const std::string& ip, TimePoint now) { return take_from(per_ip_, ip, now); }

bool PunchBudget::take_spread(const std::string& ip, TimePoint now) { return take_from(spread_per_ip_, ip, now); }

bool PunchBudget::take_from(butter::TokenBucketTableNs& table, const std::string& ip, TimePoint now) {
  const std::uint64_t t = ticks(now);
  // The node's bucket starts full at its first SYN.
  if (!node_started_) node_ = butter::TokenBucketNs(limits_.per_second, limits_.per_second, t);
  node_started_ = true;
  butter::TokenBucketNs& b = table.bucket(ip, t);
  if (!b.has(t) || !node_.has(t)) {
    ++refused_;
    return false;
  }
  b.take(t);
  node_.take(t);
  return true;
}

}  // namespace butter::host
