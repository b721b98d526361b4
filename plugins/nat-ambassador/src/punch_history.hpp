// PunchHistory: which of this node's own addresses (the tcp://ip:port it offers in Connect) took
// part in punches that succeeded or failed, so that the next Connect offers the ones that worked
// first, and a truncated offer (at most kMaxPunchAddresses) drops the ones that only failed.
//
// Bounded: at most kMaxEntries addresses (the one with the oldest outcome is forgotten first: a
// BoundedLru that only outcomes touch, recorded at the caller's steady clock); an address whose
// last outcome is older than `ttl` is forgotten (a NAT's behaviour or a route changes: old
// evidence should not pin the order for ever). Pure logic, times in ms from the
// caller's clock, unit-tested without a network.
#pragma once
#include <butter/cpp/bounded_lru.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace butter::nat {

class PunchHistory {
 public:
  static constexpr std::size_t kMaxEntries = 32;

  struct Entry {
    std::uint32_t successes = 0, failures = 0;
    std::uint64_t last_success_ms = 0, last_failure_ms = 0;
    std::uint64_t last_ms() const { return last_success_ms > last_failure_ms ? last_success_ms : last_failure_ms; }
  };

  explicit PunchHistory(std::uint64_t ttl_ms) : ttl_ms_(ttl_ms) {}

  void succeeded(const std::string& address, std::uint64_t now_ms);
  void failed(const std::string& address, std::uint64_t now_ms);

  // `addresses` in the order to offer them: first those that punched at least as often as they
  // failed (most successes first, then the latest success), then those with no outcome yet, then
  // those that failed more often than they punched (fewest failures first); ties keep their order.
  std::vector<std::string> prefer(std::vector<std::string> addresses, std::uint64_t now_ms) const;

  // Live entries (expired ones are left out), by address.
  std::map<std::string, Entry> entries(std::uint64_t now_ms) const;
  void expire(std::uint64_t now_ms);

 private:
  Entry& slot(const std::string& address, std::uint64_t now_ms);
  bool live(const Entry& e, std::uint64_t now_ms) const { return e.last_ms() + ttl_ms_ >= now_ms; }

  butter::BoundedLru<std::string, Entry> by_address_{kMaxEntries};
  std::uint64_t ttl_ms_;
};

}  // namespace butter::nat
