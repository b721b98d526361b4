// Bounded token-bucket table (see bucket_table.hpp).
#include "bucket_table.hpp"

#include <algorithm>

namespace butter::dbfs {

double& BucketTable::tokens(std::string_view key, std::uint64_t now_ms) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    if (index_.size() >= max_) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
      ++evicted_;
    }
    lru_.push_front(Entry{std::string(key), burst_, now_ms});
    it = index_.emplace(std::string_view(lru_.front().key), lru_.begin()).first;
  } else if (it->second != lru_.begin()) {
    lru_.splice(lru_.begin(), lru_, it->second);  // iterators (and the key's storage) stay valid
  }
  Entry& e = *it->second;
  if (now_ms > e.last_ms) {
    e.tokens = std::min(burst_, e.tokens + rate_ * static_cast<double>(now_ms - e.last_ms) / 1000.0);
    e.last_ms = now_ms;
  }
  return e.tokens;
}

bool BucketTable::allow(std::string_view key, std::uint64_t now_ms) {
  double& t = tokens(key, now_ms);
  if (t < 1) return false;
  t -= 1;
  return true;
}

}  // namespace butter::dbfs
