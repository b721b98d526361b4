// butter/cpp/bounded_lru.hpp — a map bounded in entries that forgets the least recently used.
//
//   butter::BoundedLru<std::string, Sender> senders(1024);
//   Sender& s = senders.get_or_insert(address, [] { return Sender{}; });  // now the most recent
//
// State kept per peer, address or prefix must be bounded whatever the peers send (node ids and
// spoofed addresses cost nothing): beyond `capacity` entries the one used longest ago goes, so a
// churn of fresh keys costs O(capacity) memory and O(1) per lookup (a hash map into a recency
// list). std::string keys are looked up by std::string_view without a copy.
//
// A reference to a value stays valid until its entry is evicted or erased. Inserting into a full
// table evicts: take every reference you need before the lookup that may insert, or look up in
// separate tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace butter {

// std::hash, except that std::string is hashed as std::string_view so that lookups need no copy.
template <class Key>
struct LruHash : std::hash<Key> {};
template <>
struct LruHash<std::string> {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

template <class Key, class Value, class Hash = LruHash<Key>, class Equal = std::equal_to<>>
class BoundedLru {
 public:
  // A capacity of 0 is raised to 1 (a table that keeps nothing cannot hand out a reference).
  explicit BoundedLru(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}
  // The index holds iterators into the list: a copy would point into the original.
  BoundedLru(const BoundedLru&) = delete;
  BoundedLru& operator=(const BoundedLru&) = delete;
  BoundedLru(BoundedLru&&) noexcept = default;  // list nodes move with the list: the iterators stay valid
  BoundedLru& operator=(BoundedLru&&) noexcept = default;

  // The value of `key`, made the most recently used; when absent, `make()` builds it (after the
  // least recently used entry was evicted, if the table was full). `*inserted` says which.
  template <class K, class Make>
  Value& get_or_insert(const K& key, Make&& make, bool* inserted = nullptr) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      touch(it->second);
      if (inserted) *inserted = false;
      return it->second->value;
    }
    if (index_.size() >= capacity_) evict_one();
    order_.push_front(Entry{Key(key), std::forward<Make>(make)()});
    index_.emplace(order_.front().key, order_.begin());
    if (inserted) *inserted = true;
    return order_.front().value;
  }
  // The value of `key`, made the most recently used; nullptr when absent.
  template <class K>
  Value* find(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    touch(it->second);
    return &it->second->value;
  }
  // The value of `key` without changing its recency; nullptr when absent.
  template <class K>
  const Value* peek(const K& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->value;
  }
  template <class K>
  bool contains(const K& key) const {
    return index_.find(key) != index_.end();
  }
  template <class K>
  bool erase(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }
  void clear() {
    index_.clear();
    order_.clear();
  }
  // Calls f(key, value) for every entry, the most recently used first.
  template <class F>
  void for_each(F&& f) const {
    for (const Entry& e : order_) f(e.key, e.value);
  }

  std::size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t evicted() const { return evicted_; }  // entries forgotten to make room, in all

 private:
  struct Entry {
    Key key;
    Value value;
  };
  using Order = std::list<Entry>;  // most recently used first

  void touch(typename Order::iterator pos) {
    if (pos != order_.begin()) order_.splice(order_.begin(), order_, pos);  // iterators stay valid
  }
  void evict_one() {
    index_.erase(order_.back().key);
    order_.pop_back();
    ++evicted_;
  }

  std::size_t capacity_;
  Order order_;
  std::unordered_map<Key, typename Order::iterator, Hash, Equal> index_;
  std::uint64_t evicted_ = 0;
};

}  // namespace butter
