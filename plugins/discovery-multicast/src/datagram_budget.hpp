// The receive budget of discovery: how many datagrams per second are processed at all, in total
// and per source address, so that a host flooding the discovery port (or many spoofed sources)
// costs a token-bucket check per datagram and cannot silence the other senders. Pure logic over a
// millisecond clock, no I/O, so that it is tested with a fake clock.
//
// admit() is called for every datagram before it is decoded. A datagram passes only when both
// the sender's bucket and the global bucket hold a token; a datagram refused by its sender's
// bucket costs the global bucket nothing, so one flooding sender uses at most its own rate of the
// global budget. The per-sender table is bounded (max_senders): the least recently heard sender
// is forgotten first (a forgotten sender comes back with a full bucket, which the global budget
// still bounds).
//
// report() says when to log: at once for the first shed datagram after a quiet spell, then at
// most one summary per report_ms with the counts since the last report and the sender shed most.
#pragma once
#include <butter/cpp/bounded_lru.hpp>
#include <butter/cpp/token_bucket.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace butter::discovery {

struct BudgetLimits {
  double per_second = 1000;           // global refill rate (datagrams per second)
  double burst = 400;                 // global bucket size
  double per_sender_per_second = 20;  // refill rate of each source address
  double per_sender_burst = 40;       // bucket size of each source address
  std::size_t max_senders = 1024;     // source addresses remembered at once
  std::uint64_t report_ms = 5000;     // at most one shed summary per this period
};

enum class Shed { None, Sender, Global };

// What report() hands to the log.
struct ShedReport {
  bool first = false;           // the first shed datagram after a quiet spell (logged at once)
  std::uint64_t by_sender = 0;  // shed since the last report because the sender was over its rate
  std::uint64_t by_budget = 0;  // shed since the last report because the global budget was empty
  std::string top_sender;       // the address shed most since the last report
  std::uint64_t top_count = 0;
  std::uint64_t since_ms = 0;  // length of the period covered
};

class DatagramBudget {
 public:
  explicit DatagramBudget(BudgetLimits limits);

  // Takes a token for one datagram from `sender` at `now_ms`, or says why it is shed.
  Shed admit(std::string_view sender, std::uint64_t now_ms);

  // A report to log now, if one is due (see above); call it after admit().
  std::optional<ShedReport> report(std::uint64_t now_ms);

  std::size_t senders() const { return senders_.size(); }
  std::uint64_t shed_by_sender() const { return shed_sender_total_; }
  std::uint64_t shed_by_budget() const { return shed_budget_total_; }
  const BudgetLimits& limits() const { return limits_; }

 private:
  struct Sender {
    butter::TokenBucket bucket;
    std::uint64_t window = 0;  // report window of shed_count
    std::uint64_t shed_count = 0;
  };

  void note_shed(Sender& s, std::string_view sender, Shed why);

  BudgetLimits limits_;
  butter::TokenBucket global_;
  butter::BoundedLru<std::string, Sender> senders_;  // the least recently heard forgotten first

  // Reporting.
  std::uint64_t window_ = 1;  // current report window (entries with another window count 0)
  std::uint64_t pending_sender_ = 0, pending_budget_ = 0;
  std::string top_sender_;
  std::uint64_t top_count_ = 0;
  std::optional<std::uint64_t> last_report_ms_;
  std::uint64_t shed_sender_total_ = 0, shed_budget_total_ = 0;
};

}  // namespace butter::discovery
