// The receive budget of discovery (see datagram_budget.hpp): token buckets per source address
// and in total, a bounded LRU table of senders, and the rate-limited shed report.
#include "datagram_budget.hpp"

namespace butter::discovery {

DatagramBudget::DatagramBudget(BudgetLimits limits)
    : limits_(limits), global_(limits.per_second, limits.burst, 0), senders_(limits.max_senders) {
  limits_.max_senders = senders_.capacity();  // 0 raised to 1
}

Shed DatagramBudget::admit(std::string_view sender, std::uint64_t now_ms) {
  // A new sender (forgetting the one heard least recently when the table is full) starts full.
  Sender& s = senders_.get_or_insert(sender, [&] {
    return Sender{butter::TokenBucket(limits_.per_sender_per_second, limits_.per_sender_burst, now_ms)};
  });
  if (!s.bucket.has(now_ms)) {
    note_shed(s, sender, Shed::Sender);
    return Shed::Sender;
  }
  if (!global_.has(now_ms)) {
    note_shed(s, sender, Shed::Global);
    return Shed::Global;
  }
  s.bucket.take(now_ms);
  global_.take(now_ms);
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
