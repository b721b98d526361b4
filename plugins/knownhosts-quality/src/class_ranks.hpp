// ClassRanks: where the quality classes split each metric, kept as order statistics of the
// members' effective qualities (O(log n) per member added or removed, O(1) to read).
//
// A host's bit for a metric (bit 0 uptime, bit 1 free storage, bit 2 hosts known) is set when its
// value is at or above the median of the population and above the population's least value:
// the upper half by rank. The mean, used before, is what a few hosts claiming 2^64 bytes move at
// will: 8 of 100 pushed it above every honest host, all honest hosts fell into the low classes,
// and the claimers had classes to themselves (never the most crowded, so never evicted). A host
// moves the median by at most one rank, whatever it claims. "Above the least" keeps equal values
// together: a population of equal values is all low, and one newcomer below them makes them high
// (a cache of equal members can still diversify).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>

namespace butter::knownhosts {

// A host's quality: as it claims it, or as this node ranks it (QualityCache::effective).
struct Quality {
  std::uint64_t uptime_s = 0;
  std::uint64_t free_storage = 0;
  std::uint32_t hosts_known = 0;
};

// Per metric (uptime, free storage, hosts known): the median v[n/2] of the sorted values and the
// least v[0]; n = 0: nobody (every class is 0).
struct Thresholds {
  std::array<std::uint64_t, 3> median{}, least{};
  std::size_t n = 0;
};

int quality_class(const Quality& q, const Thresholds& t);

// A multiset of values split in two: lower_ holds the n/2 smallest, upper_ the rest, so the
// median is upper_'s first and the least lower_'s first (upper_'s when lower_ is empty).
class MedianSplit {
 public:
  void insert(std::uint64_t v);
  void erase(std::uint64_t v);  // one occurrence of a value inserted before
  std::size_t size() const { return lower_.size() + upper_.size(); }
  std::uint64_t median() const { return upper_.empty() ? 0 : *upper_.begin(); }
  std::uint64_t least() const { return lower_.empty() ? median() : *lower_.begin(); }
  void clear() {
    lower_.clear();
    upper_.clear();
  }

 private:
  void balance();
  std::multiset<std::uint64_t> lower_, upper_;
};

class ClassRanks {
 public:
  void add(const Quality& q);
  void remove(const Quality& q);  // a quality added before
  void clear();
  std::size_t size() const { return metrics_[0].size(); }
  Thresholds thresholds() const;
  // The thresholds of the population with one more host of quality `q` (the ranks are left as
  // they were): a newcomer is ranked among the members it would join.
  Thresholds thresholds_with(const Quality& q);

 private:
  std::array<MedianSplit, 3> metrics_;  // uptime, free storage, hosts known
};

}  // namespace butter::knownhosts
