// chat_log: the bounded history and seen-set (see chat_log.hpp).
#include "chat_log.hpp"

namespace chat {

bool SeenSet::insert(const std::string& id) {
  if (!set_.insert(id).second) return false;
  order_.push_back(id);
  while (order_.size() > capacity_) {
    set_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

const Entry* Log::add(Message m, bool mine) {
  if (!seen_.insert(m.id)) return nullptr;
  entries_.push_back(Entry{next_seq_++, mine, std::move(m)});
  while (entries_.size() > history_) entries_.pop_front();
  return &entries_.back();
}

std::vector<const Entry*> Log::since(std::uint64_t after, std::size_t limit) const {
  std::vector<const Entry*> out;
  for (const auto& e : entries_) {
    if (e.seq <= after) continue;
    if (out.size() >= limit) break;
    out.push_back(&e);
  }
  return out;
}

std::vector<Message> Log::last(std::size_t n) const {
  std::vector<Message> out;
  const std::size_t skip = entries_.size() > n ? entries_.size() - n : 0;
  for (std::size_t i = skip; i < entries_.size(); ++i) out.push_back(entries_[i].message);
  return out;
}

}  // namespace chat
