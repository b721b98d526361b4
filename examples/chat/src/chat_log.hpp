// chat_log: what a chat node remembers — the last messages it showed (a ring, each numbered with a
// local sequence number for the page's polling) and the ids it has seen (a bounded FIFO set, so
// that a gossiped message is shown and forwarded once however many peers send it).
#pragma once

#include "chat_message.hpp"

#include <deque>
#include <unordered_set>

namespace chat {

struct Entry {
  std::uint64_t seq = 0;
  bool mine = false;
  Message message;
};

class SeenSet {
 public:
  explicit SeenSet(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}
  // True when `id` was new (and is now remembered); the oldest id is forgotten past capacity.
  bool insert(const std::string& id);
  bool contains(const std::string& id) const { return set_.count(id) != 0; }
  std::size_t size() const { return set_.size(); }

 private:
  std::size_t capacity_;
  std::deque<std::string> order_;
  std::unordered_set<std::string> set_;
};

class Log {
 public:
  Log(std::size_t history, std::size_t seen) : history_(history ? history : 1), seen_(seen) {}
  // Adds a message not seen before; returns its entry, or nullptr for a duplicate.
  const Entry* add(Message m, bool mine);
  bool seen(const std::string& id) const { return seen_.contains(id); }
  // Entries with seq > after, oldest first, at most `limit`.
  std::vector<const Entry*> since(std::uint64_t after, std::size_t limit) const;
  // The last `n` messages, oldest first.
  std::vector<Message> last(std::size_t n) const;
  std::uint64_t last_seq() const { return next_seq_ - 1; }
  std::size_t size() const { return entries_.size(); }

 private:
  std::size_t history_;
  SeenSet seen_;
  std::deque<Entry> entries_;
  std::uint64_t next_seq_ = 1;
};

}  // namespace chat
