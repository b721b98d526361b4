#include "observed.hpp"

#include "messages.hpp"

#include <algorithm>

namespace butter::nat {

void ObservedAddresses::observe(const std::string& observer, const std::string& ip, std::uint64_t now_ms) {
  if (observer.empty() || !numeric_ip(ip) || unspecified_host(ip)) return;
  expire(now_ms);
  // One peer, one vote: a report of another address withdraws the earlier one.
  for (auto it = by_ip_.begin(); it != by_ip_.end();) {
    if (it->first != ip) it->second.erase(observer);
    it = it->second.empty() && it->first != ip ? by_ip_.erase(it) : std::next(it);
  }
  auto found = by_ip_.find(ip);
  if (found == by_ip_.end()) {
    if (by_ip_.size() >= kMaxAddresses) {
      // Full: forget the address with the fewest observers (then the stalest).
      auto victim = std::min_element(by_ip_.begin(), by_ip_.end(), [](const auto& a, const auto& b) {
        auto newest = [](const auto& m) {
          std::uint64_t t = 0;
          for (const auto& [o, at] : m) t = std::max(t, at);
          return t;
        };
        if (a.second.size() != b.second.size()) return a.second.size() < b.second.size();
        return newest(a.second) < newest(b.second);
      });
      by_ip_.erase(victim);
    }
    found = by_ip_.emplace(ip, std::map<std::string, std::uint64_t>{}).first;
  }
  auto& obs = found->second;
  if (!obs.count(observer) && obs.size() >= kMaxObservers) {
    auto oldest =
        std::min_element(obs.begin(), obs.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    obs.erase(oldest);
  }
  obs[observer] = now_ms;
}

void ObservedAddresses::expire(std::uint64_t now_ms) {
  for (auto it = by_ip_.begin(); it != by_ip_.end();) {
    auto& obs = it->second;
    for (auto o = obs.begin(); o != obs.end();) o = now_ms > o->second + ttl_ms_ ? obs.erase(o) : std::next(o);
    it = obs.empty() ? by_ip_.erase(it) : std::next(it);
  }
}

std::size_t ObservedAddresses::observers(const std::string& ip, std::uint64_t now_ms) const {
  auto it = by_ip_.find(ip);
  if (it == by_ip_.end()) return 0;
  return static_cast<std::size_t>(
      std::count_if(it->second.begin(), it->second.end(), [&](const auto& o) { return now_ms <= o.second + ttl_ms_; }));
}

std::vector<std::string> ObservedAddresses::confirmed(std::uint64_t now_ms) const {
  std::vector<std::pair<std::size_t, std::string>> ranked;
  for (const auto& [ip, obs] : by_ip_) {
    const std::size_t n = observers(ip, now_ms);
    if (n >= quorum_) ranked.emplace_back(n, ip);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [n, ip] : ranked) out.push_back(std::move(ip));
  return out;
}

}  // namespace butter::nat
