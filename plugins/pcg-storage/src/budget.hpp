// Budget: how many bytes this node's storage may hold (a share of the node's memory budget),
// and how many it holds. Memory greedy: everything fits until the budget is reached; beyond it a
// reservation is refused with a clear reason, so a put fails with BUTTER_E_NOMEM and a recruit
// is declined (the group then recruits elsewhere).
#pragma once
#include <cstdint>
#include <string>

namespace butter::pcg {

class Budget {
 public:
  explicit Budget(std::uint64_t capacity = 0) : capacity_(capacity) {}
  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t used() const { return used_; }
  std::uint64_t free() const { return used_ >= capacity_ ? 0 : capacity_ - used_; }

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
};

}  // namespace butter::pcg
