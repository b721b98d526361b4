// The receive budget of discovery (see datagram_budget.hpp): token buckets per source address
// and in total, a bounded LRU table of senders, and the rate-limited shed report.
#include "datagram_budget.hpp"

#include <algorithm>

namespace butter::discovery {

DatagramBudget::DatagramBudget(BudgetLimits limits) : limits_(limits), global_{limits.burst, 0} {
  limits_.max_senders = std::max<std::size_t>(1, limits_.max_senders);
  senders_.reserve(std::min<std::size_t>(limits_.max_senders, 4096));
}

DatagramBudget::Sender& DatagramBudget::sender_entry(std::string_view sender, std::uint64_t now_ms) {
  if (auto it = senders_.find(sender); it != senders_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second.lru);  // heard last: front
    return it->second;
  }
  if (senders_.size() >= limits_.max_senders) {
    senders_.erase(recent_.back());  // forget the sender heard least recently
    recent_.pop_back();
  }
  recent_.emplace_front(sender);
  auto [it, inserted] =
      senders_.emplace(recent_.front(), Sender{Bucket{limits_.per_sender_burst, now_ms}, recent_.begin()});
  (void)inserted;
  return it->second;
}

Shed DatagramBudget::admit(std::string_view sender, std::uint64_t now_ms) {
  Sender& s = sender_entry(sender, now_ms);
  s.bucket.refill(limits_.per_sender_per_second, limits_.per_sender_burst, now_ms);
  if (s.bucket.tokens < 1.0) {
    note_shed(s, sender, Shed::Sender);
    return Shed::Sender;
  }
  global_.refill(limits_.per_second, limits_.burst, now_ms);
  if (global_.tokens < 1.0) {
    note_shed(s, sender, Shed::Global);
    return Shed::Global;
  }
  s.bucket.tokens -= 1.0;
  global_.tokens -= 1.0;
  return Shed::None;
}

void DatagramBudget::note_shed(Sender& s, std::string_view sender, Shed why) {
  if (why == Shed::Sender) {
    ++pending_sender_;
    ++shed_sender_total_;
  } else {
    ++pending_budget_;
    ++shed_budget_total_;
  }
  if (s.window != window_) {
    s.window = window_;
    s.shed_count = 0;
  }
  if (++s.shed_count > top_count_) {
    top_count_ = s.shed_count;
    if (top_sender_ != sender) top_sender_.assign(sender);
  }
}

std::optional<ShedReport> DatagramBudget::report(std::uint64_t now_ms) {
  const bool pending = pending_sender_ + pending_budget_ > 0;
  bool first = false;
  if (!last_report_ms_) {
    if (!pending) return std::nullopt;  // quiet: nothing shed since the last period
    first = true;
  } else if (now_ms - *last_report_ms_ < limits_.report_ms) {
    return std::nullopt;  // a report went out recently; keep counting
  } else if (!pending) {
    last_report_ms_.reset();  // a whole period without shedding: quiet again
    return std::nullopt;
  }
  ShedReport r;
  r.first = first;
  r.by_sender = pending_sender_;
  r.by_budget = pending_budget_;
  r.top_sender = top_sender_;
  r.top_count = top_count_;
  r.since_ms = last_report_ms_ ? now_ms - *last_report_ms_ : 0;
  last_report_ms_ = now_ms;
  pending_sender_ = pending_budget_ = 0;
  top_sender_.clear();
  top_count_ = 0;
  ++window_;
  return r;
}

}  // namespace butter::discovery
