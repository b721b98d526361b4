// BucketTable: token buckets by key (a peer, an address, a network prefix), bounded in entries.
// Beyond `max_entries` the least recently used bucket is forgotten (a forgotten key starts again
// with a full bucket), so a churn of fresh keys costs memory O(max_entries) and O(1) per lookup:
// a hash map into a recency list.
#pragma once
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace butter::dbfs {

class BucketTable {
 public:
  BucketTable(double rate_per_s, double burst, std::size_t max_entries)
      : rate_(rate_per_s), burst_(burst), max_(max_entries ? max_entries : 1) {}

  // The bucket of `key` refilled up to `now_ms` and made most recent; a new key gets a full one
  // (evicting the least recent beyond the bound). The reference stays valid until this key is
  // evicted (another lookup in a full table may do that: take all references before spending).
  double& tokens(std::string_view key, std::uint64_t now_ms);
  // Takes one token of `key` when there is one.
  bool allow(std::string_view key, std::uint64_t now_ms);
  std::size_t size() const { return index_.size(); }
  std::uint64_t evicted() const { return evicted_; }

 private:
  struct Entry {
    std::string key;
    double tokens = 0;
    std::uint64_t last_ms = 0;
  };
  double rate_, burst_;
  std::size_t max_;
  std::list<Entry> lru_;                                                    // most recent first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views into lru_ keys
  std::uint64_t evicted_ = 0;
};

}  // namespace butter::dbfs
