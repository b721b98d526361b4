// PunchBudget: token buckets per destination IP (a bounded LRU table) and one for the node.
#include "transport/punch_budget.hpp"

#include <algorithm>

namespace butter::host {

namespace {
double seconds_between(PunchBudget::TimePoint from, PunchBudget::TimePoint to) {
  if (to <= from) return 0;  // a clock that went back refills nothing
  return std::chrono::duration<double>(to - from).count();
}
}  // namespace

PunchBudget::PunchBudget(PunchBudgetLimits limits) : limits_(limits) {
  limits_.per_ip_per_minute = std::max<std::uint32_t>(limits_.per_ip_per_minute, 1);
  limits_.per_ip_burst = std::max<std::uint32_t>(limits_.per_ip_burst, 1);
  limits_.per_second = std::max<std::uint32_t>(limits_.per_second, 1);
  limits_.max_ips = std::max<std::size_t>(limits_.max_ips, 1);
}

PunchBudget::Bucket& PunchBudget::bucket(const std::string& ip, TimePoint now) {
  auto it = buckets_.find(ip);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_ips) {
      buckets_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(ip);
    Bucket b;
    b.tokens = limits_.per_ip_burst;
    b.at = now;
    b.lru = lru_.begin();
    return buckets_.emplace(ip, b).first->second;
  }
  Bucket& b = it->second;
  const double rate = static_cast<double>(limits_.per_ip_per_minute) / 60.0;
  b.tokens = std::min<double>(limits_.per_ip_burst, b.tokens + seconds_between(b.at, now) * rate);
  if (now > b.at) b.at = now;
  lru_.splice(lru_.begin(), lru_, b.lru);
  return b;
}

void PunchBudget::refill_node(TimePoint now) {
  if (!node_started_) {
    node_started_ = true;
    node_tokens_ = limits_.per_second;
    node_at_ = now;
    return;
  }
  node_tokens_ =
      std::min<double>(limits_.per_second, node_tokens_ + seconds_between(node_at_, now) * limits_.per_second);
  if (now > node_at_) node_at_ = now;
}

bool PunchBudget::take(const std::string& ip, TimePoint now) {
  refill_node(now);
  Bucket& b = bucket(ip, now);
  if (b.tokens < 1.0 || node_tokens_ < 1.0) {
    ++refused_;
    return false;
  }
  b.tokens -= 1.0;
  node_tokens_ -= 1.0;
  return true;
}

}  // namespace butter::host
