#include "class_ranks.hpp"

#include <iterator>

namespace butter::knownhosts {

static std::array<std::uint64_t, 3> metrics_of(const Quality& q) { return {q.uptime_s, q.free_storage, q.hosts_known}; }

int quality_class(const Quality& q, const Thresholds& t) {
  if (t.n == 0) return 0;
  const auto v = metrics_of(q);
  int c = 0;
  for (std::size_t i = 0; i < 3; ++i)
    if (v[i] >= t.median[i] && v[i] > t.least[i]) c |= 1 << i;
  return c;
}

void MedianSplit::insert(std::uint64_t v) {
  if (!upper_.empty() && v >= *upper_.begin())
    upper_.insert(v);
  else
    lower_.insert(v);
  balance();
}

void MedianSplit::erase(std::uint64_t v) {
  // Every value of lower_ is <= every value of upper_: one >= upper_'s first has a copy there.
  if (!upper_.empty() && v >= *upper_.begin()) {
    if (auto it = upper_.find(v); it != upper_.end()) upper_.erase(it);
  } else if (auto it = lower_.find(v); it != lower_.end()) {
    lower_.erase(it);
  }
  balance();
}

void MedianSplit::balance() {
  const std::size_t want_lower = size() / 2;
  while (lower_.size() > want_lower) {
    auto last = std::prev(lower_.end());
    upper_.insert(*last);
    lower_.erase(last);
  }
  while (lower_.size() < want_lower) {
    lower_.insert(*upper_.begin());
    upper_.erase(upper_.begin());
  }
}

void ClassRanks::add(const Quality& q) {
  const auto v = metrics_of(q);
  for (std::size_t i = 0; i < 3; ++i) metrics_[i].insert(v[i]);
}

void ClassRanks::remove(const Quality& q) {
  const auto v = metrics_of(q);
  for (std::size_t i = 0; i < 3; ++i) metrics_[i].erase(v[i]);
}

void ClassRanks::clear() {
  for (auto& m : metrics_) m.clear();
}

Thresholds ClassRanks::thresholds() const {
  Thresholds t;
  t.n = size();
  for (std::size_t i = 0; i < 3; ++i) {
    t.median[i] = metrics_[i].median();
    t.least[i] = metrics_[i].least();
  }
  return t;
}

Thresholds ClassRanks::thresholds_with(const Quality& q) {
  add(q);
  const Thresholds t = thresholds();
  remove(q);
  return t;
}

}  // namespace butter::knownhosts
