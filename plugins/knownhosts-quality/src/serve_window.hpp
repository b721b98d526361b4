// ServeWindow: serve each peer at most once per `interval_ms` (pure logic; time is passed in).
//
// Only the peers served in the last two intervals are held (two generations, the older dropped as
// time moves on): whoever was served before that may be served again anyway. A table of every
// peer ever served (a BoundedLru of 4096) cost the simulator 90 MiB at 10 000 nodes for entries
// that mattered for one second. At most `max_peers` a generation: beyond that, new peers are not
// served until the window moves (bounded whatever the number of ids that ask).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>

namespace butter::knownhosts {

class ServeWindow {
 public:
  ServeWindow(std::uint64_t interval_ms, std::size_t max_peers) : interval_(interval_ms), max_(max_peers) {}

  // True, and noted, when `peer` was not served in the last interval_ms (and there is room).
  bool take(const std::string& peer, std::uint64_t now_ms) {
    if (now_ms >= start_ + 2 * interval_) {
      older_.clear();
      current_.clear();
      start_ = now_ms;
    } else if (now_ms >= start_ + interval_) {
      older_ = std::move(current_);
      current_.clear();
      start_ = now_ms;
    }
    for (const auto* gen : {&current_, &older_})
      if (auto it = gen->find(peer); it != gen->end() && now_ms - it->second < interval_) return false;
    if (current_.size() >= max_ && !current_.count(peer)) return false;
    current_[peer] = now_ms;
    return true;
  }
  std::size_t size() const { return current_.size() + older_.size(); }

 private:
  std::uint64_t interval_;
  std::size_t max_;
  std::uint64_t start_ = 0;  // when current_ began
  std::unordered_map<std::string, std::uint64_t> current_, older_;
};

}  // namespace butter::knownhosts
