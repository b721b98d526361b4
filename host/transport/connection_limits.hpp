// ConnectionLimits: the bookkeeping behind the transport's connection limits (TransportLimits
// max_connections, max_connections_per_peer, max_handshakes_per_address,
// max_handshakes_per_second) and the rate limit on the log lines of refusals.
//
// It decides, it does not act: TransportImpl asks admit_*() before it spends anything on a
// connection, closes the ones refused, and counts them in Stats. Inbound connections still in key
// exchange or HELLO are counted per remote address from admit_inbound() until handshake_ended().
// The handshake rate is a token bucket holding up to one second's worth of handshakes.
// Not thread-safe: it lives on the node's strand with its transport.
#pragma once
#include "transport/transport_limits.hpp"

#include <butter/cpp/token_bucket.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace butter::host {

class ConnectionLimits {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  enum class Refusal { kNone, kMaxConnections, kPerPeer, kPerAddress, kHandshakeRate };

  struct Options {
    // Defaults: the node's (TransportLimits).
    std::size_t max_connections = TransportLimits{}.max_connections;
    std::size_t max_connections_per_peer = TransportLimits{}.max_connections_per_peer;
    std::size_t max_handshakes_per_address = TransportLimits{}.max_handshakes_per_address;
    std::uint32_t max_handshakes_per_second = TransportLimits{}.max_handshakes_per_second;
    Clock clock;  // null: steady_clock::now
  };
  // At most one refusal is logged per this interval; the others are counted into the next line.
  static constexpr std::chrono::seconds kLogInterval{5};

  explicit ConnectionLimits(Options options);

  // An inbound connection from `address` arrived while `open` connections exist (it not
  // included). Checks, in order, max_connections, max_handshakes_per_address (skipped when
  // `address` is empty) and the handshake rate; a refusal consumes nothing. On kNone the
  // connection is counted against `address` until handshake_ended(address).
  Refusal admit_inbound(std::size_t open, const std::string& address);
  // How long until the handshake bucket holds a token again (zero: one is there now). The
  // transport stops accepting for that long, so that a burst of newcomers (a thousand nodes
  // bootstrapping to one) waits in the kernel's listen backlog instead of being refused.
  std::chrono::nanoseconds handshake_wait();
  // A dial while `open` connections exist: kMaxConnections or kNone.
  Refusal admit_outbound(std::size_t open) const;
  // A peer proved its id while `existing` up connections to it exist: kPerPeer or kNone.
  Refusal admit_peer(std::size_t existing) const;
  // An inbound connection admitted from `address` finished its handshake (or closed before).
  void handshake_ended(const std::string& address);
  std::size_t handshaking(const std::string& address) const;
  std::size_t handshaking_total() const { return handshaking_total_; }

  // The text that explains a refusal, e.g. "max_connections (1024) reached".
  std::string explain(Refusal r) const;
  // Stable short names for metrics labels and /status: "max_connections", "per_peer", ...
  static const char* name(Refusal r);

  // Rate-limits logging of refusals: returns the line to log now (`what`, plus how many were
  // refused without a line since the last one), or nullopt when this one is only counted.
  std::optional<std::string> log_refusal(const std::string& what);

  const Options& options() const { return opts_; }

 private:
  std::chrono::steady_clock::time_point now() const;
  std::uint64_t now_ticks() const;  // now() in the handshake bucket's ticks (nanoseconds)

  Options opts_;
  std::unordered_map<std::string, std::size_t> handshaking_;
  std::size_t handshaking_total_ = 0;
  butter::TokenBucketNs handshakes_;  // holds up to one second's worth
  bool logged_once_ = false;
  std::chrono::steady_clock::time_point last_log_;
  std::uint64_t unlogged_ = 0;
};

}  // namespace butter::host
