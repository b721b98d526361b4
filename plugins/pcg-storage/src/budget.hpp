// Budget: how many bytes this node's storage may hold (a share of the node's memory budget),
// and how many it holds. Memory greedy: everything fits until the budget is reached; beyond it a
// reservation is refused with a clear reason, so a put fails with BUTTER_E_NOMEM and a recruit
// is declined (the group then recruits elsewhere).
#pragma once
#include "hash.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace butter::pcg {

class Budget {
 public:
  explicit Budget(std::uint64_t capacity = 0) : capacity_(capacity) {}
  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t used() const { return used_; }
  // Free: neither stored (used) nor set aside for open streamed puts.
  std::uint64_t free() const { return used_ + aside_ >= capacity_ ? 0 : capacity_ - used_ - aside_; }
  // Bytes set aside for streamed puts still being written (held in memory until commit, not
  // stored yet): not counted in used(), but no put or recruit can take them meanwhile.
  std::uint64_t aside() const { return aside_; }
  bool set_aside(std::uint64_t bytes, std::string& why);
  void give_back(std::uint64_t bytes) { aside_ = bytes > aside_ ? 0 : aside_ - bytes; }

  // Takes `bytes` if they fit; otherwise false and `why` says how far off it is.
  bool reserve(std::uint64_t bytes, std::string& why);
  // Takes `bytes` even beyond the capacity: data already on disk at start is never refused for
  // space (used() may then exceed capacity() and free() is 0 until enough is released).
  void charge(std::uint64_t bytes) { used_ += bytes; }
  bool over_capacity() const { return used_ > capacity_; }
  // Gives back what a reserve or charge took (never below zero).
  void release(std::uint64_t bytes);

 private:
  std::uint64_t capacity_;
  std::uint64_t used_ = 0;
  std::uint64_t aside_ = 0;
};

// PeerQuota: how many bytes this node holds or reserves on behalf of each peer that recruited it
// (the group's sponsor), bounded by one limit per peer. Without it one peer's RECRUITs could
// claim the whole budget (honest puts then refused) or fill it with junk the node would go on
// repairing. Only peers with something charged have an entry, so the table is bounded by the
// number of groups held.
class PeerQuota {
 public:
  explicit PeerQuota(std::uint64_t limit = 0) : limit_(limit) {}
  std::uint64_t limit() const { return limit_; }
  std::uint64_t used(const Hash& peer) const;
  std::size_t peers() const { return used_.size(); }

  // Charges `bytes` to `peer` if its total stays within the limit; otherwise false with `why`.
  bool reserve(const Hash& peer, std::uint64_t bytes, std::string& why);
  // Gives back what reserve took (never below zero; the entry goes at zero).
  void release(const Hash& peer, std::uint64_t bytes);

 private:
  std::uint64_t limit_;
  std::map<Hash, std::uint64_t> used_;
};

}  // namespace butter::pcg
