// butter/cpp/token_bucket_table.hpp — token buckets by key (a peer, an address, a prefix), bounded
// in keys.
//
//   butter::TokenBucketTable per_peer(/*rate_per_s=*/10, /*burst=*/20, /*max_keys=*/4096);
//   if (!per_peer.take(peer_id, now_ms)) return;  // this peer is over its rate
//
// Every key has its own bucket of the same rate and burst (token_bucket.hpp). Beyond `max_keys`
// the bucket used least recently is forgotten (bounded_lru.hpp); a forgotten key comes back with a
// full bucket, so bound the total with a bucket of its own where that matters.
#pragma once

#include <butter/cpp/bounded_lru.hpp>
#include <butter/cpp/token_bucket.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace butter {

template <std::uint64_t TicksPerSecond, class Key = std::string>
class BasicTokenBucketTable {
 public:
  using Bucket = BasicTokenBucket<TicksPerSecond>;

  // A `max_keys` of 0 is raised to 1.
  BasicTokenBucketTable(double rate_per_s, double burst, std::size_t max_keys)
      : rate_(rate_per_s), burst_(burst), buckets_(max_keys) {}

  // The bucket of `key` refilled up to `now` and made the most recently used; a new key gets a
  // full one (forgetting the least recently used key when the table is full). The reference stays
  // valid until that key is forgotten: another lookup in a full table may do it, so take every
  // bucket first, then spend (or keep the keys of each kind in a table of their own).
  template <class K>
  Bucket& bucket(const K& key, std::uint64_t now) {
    bool inserted = false;
    Bucket& b = buckets_.get_or_insert(
        key, [&] { return Bucket(rate_, burst_, now); }, &inserted);
    if (!inserted) b.refill(now);
    return b;
  }
  // Takes `n` tokens from the bucket of `key` when they are all there.
  template <class K>
  bool take(const K& key, std::uint64_t now, double n = 1) {
    return bucket(key, now).take(now, n);
  }
  template <class K>
  bool contains(const K& key) const {
    return buckets_.contains(key);
  }

  std::size_t size() const { return buckets_.size(); }
  std::size_t max_keys() const { return buckets_.capacity(); }
  std::uint64_t evicted() const { return buckets_.evicted(); }  // keys forgotten to make room, in all
  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  double rate_, burst_;
  BoundedLru<Key, Bucket> buckets_;
};

using TokenBucketTable = BasicTokenBucketTable<1000>;             // ticks: milliseconds
using TokenBucketTableNs = BasicTokenBucketTable<1'000'000'000>;  // ticks: nanoseconds

}  // namespace butter
