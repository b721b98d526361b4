#include "punch_history.hpp"

#include <algorithm>
#include <limits>

namespace butter::nat {

void PunchHistory::expire(std::uint64_t now_ms) {
  std::vector<std::string> expired;
  by_address_.for_each([&](const std::string& address, const Entry& e) {
    if (!live(e, now_ms)) expired.push_back(address);
  });
  for (const auto& address : expired) by_address_.erase(address);
}

PunchHistory::Entry& PunchHistory::slot(const std::string& address, std::uint64_t now_ms) {
  expire(now_ms);
  return by_address_.get_or_insert(address, [] { return Entry{}; });
}

void PunchHistory::succeeded(const std::string& address, std::uint64_t now_ms) {
  if (address.empty()) return;
  auto& e = slot(address, now_ms);
  if (e.successes < std::numeric_limits<std::uint32_t>::max()) ++e.successes;
  e.last_success_ms = now_ms;
}

void PunchHistory::failed(const std::string& address, std::uint64_t now_ms) {
  if (address.empty()) return;
  auto& e = slot(address, now_ms);
  if (e.failures < std::numeric_limits<std::uint32_t>::max()) ++e.failures;
  e.last_failure_ms = now_ms;
}

std::vector<std::string> PunchHistory::prefer(std::vector<std::string> addresses, std::uint64_t now_ms) const {
  // 0: punched at least as often as failed; 1: no outcome; 2: failed more often than punched.
  auto rank = [&](const std::string& a) -> std::pair<int, Entry> {
    const Entry* found = by_address_.peek(a);
    if (!found || !live(*found, now_ms)) return {1, Entry{}};
    const Entry& e = *found;
    if (e.successes > 0 && e.successes >= e.failures) return {0, e};
    if (e.failures > e.successes) return {2, e};
    return {1, e};
  };
  std::stable_sort(addresses.begin(), addresses.end(), [&](const std::string& x, const std::string& y) {
    const auto [cx, ex] = rank(x);
    const auto [cy, ey] = rank(y);
    if (cx != cy) return cx < cy;
    if (cx == 0) {
      if (ex.successes != ey.successes) return ex.successes > ey.successes;
      return ex.last_success_ms > ey.last_success_ms;
    }
    if (cx == 2) return ex.failures < ey.failures;
    return false;
  });
  return addresses;
}

std::map<std::string, PunchHistory::Entry> PunchHistory::entries(std::uint64_t now_ms) const {
  std::map<std::string, Entry> out;
  by_address_.for_each([&](const std::string& address, const Entry& e) {
    if (live(e, now_ms)) out.emplace(address, e);
  });
  return out;
}

}  // namespace butter::nat
