// PunchBudget: the node-wide bound on the connection attempts (SYNs) hole punching sends.
//
// The addresses a punch goes to are the peer's claims (its Connect message), so a hostile peer
// could name a third party and have this node fire SYNs at it; many peers, or one reconnecting,
// could do it again and again. Whatever the caller's policy, every SYN of Transport::punch (its
// connectors' first attempts and their retries after a reset) takes a token first:
//   - from the bucket of its destination IP: at most per_ip_burst at once, refilled at
//     per_ip_per_minute; the buckets live in a table of at most max_ips IPs, the least recently
//     used forgotten first (a forgotten IP starts again with a full bucket, which the node-wide
//     bucket still bounds);
//   - from the node-wide bucket: at most per_second at once, refilled at per_second.
// A SYN is sent only when both have a token; a refusal takes nothing and is counted.
// The spread of a punch (Transport::PunchSpread: hundreds of sockets or guessed ports, for a NAT
// whose mapping is random) goes only to the first endpoint's IP, which the caller has checked
// (the NAT plugin spreads only to an IP the circuit's ambassador saw the peer come from): its
// SYNs take from a bucket of their own per IP (spread_per_ip_per_minute), so that one punch
// against a random mapping fits, and still from the node-wide bucket.
// Not thread-safe: it lives on the node's strand with its transport.
#pragma once
#include "transport/transport_limits.hpp"

#include <butter/cpp/token_bucket.hpp>
#include <butter/cpp/token_bucket_table.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace butter::host {

// The defaults are the node's (TransportLimits::punch_syns_*, where the reasons for them are); the
// transport builds its budget with limits_of().
struct PunchBudgetLimits {
  std::uint32_t per_ip_per_minute = TransportLimits{}.punch_syns_per_ip_per_minute;
  std::uint32_t per_ip_burst = TransportLimits{}.punch_syns_per_ip_per_minute;
  // Spread SYNs to one IP a minute (also the burst).
  std::uint32_t spread_per_ip_per_minute = TransportLimits{}.punch_spread_syns_per_ip_per_minute;
  // All punch SYNs of the node, a second (also the burst).
  std::uint32_t per_second = TransportLimits{}.punch_syns_per_second;
  std::size_t max_ips = 1024;

  // A node's budget: per IP a minute with the same burst, node-wide, and the spread's per IP.
  static PunchBudgetLimits limits_of(const TransportLimits& l) {
    PunchBudgetLimits p;
    p.per_ip_per_minute = l.punch_syns_per_ip_per_minute;
    p.per_ip_burst = l.punch_syns_per_ip_per_minute;
    p.spread_per_ip_per_minute = l.punch_spread_syns_per_ip_per_minute;
    p.per_second = l.punch_syns_per_second;
    return p;
  }
};

class PunchBudget {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Limits of 0 are raised to 1 (a budget that never allows anything is a misconfiguration).
  explicit PunchBudget(PunchBudgetLimits limits = {});

  // One SYN to `ip` (the address as text, e.g. "198.18.0.1") at `now`: true and a token taken
  // from both buckets, or false (nothing taken) when either is empty.
  bool take(const std::string& ip, TimePoint now);
  // The same for a SYN of a punch's spread (per_ip from the spread table).
  bool take_spread(const std::string& ip, TimePoint now);

  std::size_t tracked_ips() const { return per_ip_.size(); }
  bool tracks(const std::string& ip) const { return per_ip_.contains(ip); }
  std::uint64_t refused() const { return refused_; }
  const PunchBudgetLimits& limits() const { return limits_; }

 private:
  PunchBudgetLimits limits_;
  bool take_from(butter::TokenBucketTableNs& table, const std::string& ip, TimePoint now);

  butter::TokenBucketTableNs per_ip_;         // ticks: steady_clock nanoseconds
  butter::TokenBucketTableNs spread_per_ip_;  // the same, for spread SYNs
  butter::TokenBucketNs node_;
  bool node_started_ = false;
  std::uint64_t refused_ = 0;
};

}  // namespace butter::host
