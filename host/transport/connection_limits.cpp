// ConnectionLimits: admission checks, per-address handshake counts, the handshake token bucket and
// the rate limit on refusal log lines (see connection_limits.hpp).
#include "transport/connection_limits.hpp"

namespace butter::host {

ConnectionLimits::ConnectionLimits(Options options) : opts_(std::move(options)) {
  const auto rate = static_cast<double>(opts_.max_handshakes_per_second);
  handshakes_ = butter::TokenBucketNs(rate, rate, now_ticks());
}

std::chrono::steady_clock::time_point ConnectionLimits::now() const {
  return opts_.clock ? opts_.clock() : std::chrono::steady_clock::now();
}

std::uint64_t ConnectionLimits::now_ticks() const {
  // A time before the clock's epoch (only a made-up clock gives one) counts as 0.
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now().time_since_epoch()).count();
  return ns > 0 ? static_cast<std::uint64_t>(ns) : 0;
}

std::chrono::nanoseconds ConnectionLimits::handshake_wait() {
  // Rounded up, and at least 1 ns, so that the caller never spins on a token just out of reach;
  // a rate of 0 (never a token) waits "for ever", which the caller caps.
  const std::uint64_t ns = handshakes_.ticks_until(now_ticks());
  constexpr auto kMax = static_cast<std::uint64_t>(std::chrono::nanoseconds::max().count());
  return ns >= kMax ? std::chrono::nanoseconds::max() : std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

ConnectionLimits::Refusal ConnectionLimits::admit_inbound(std::size_t open, const std::string& address) {
  if (open >= opts_.max_connections) return Refusal::kMaxConnections;
  if (!address.empty() && handshaking(address) >= opts_.max_handshakes_per_address) return Refusal::kPerAddress;
  if (!handshakes_.take(now_ticks())) return Refusal::kHandshakeRate;
  if (!address.empty()) ++handshaking_[address];
  ++handshaking_total_;
  return Refusal::kNone;
}

ConnectionLimits::Refusal ConnectionLimits::admit_outbound(std::size_t open) const {
  return open >= opts_.max_connections ? Refusal::kMaxConnections : Refusal::kNone;
}

ConnectionLimits::Refusal ConnectionLimits::admit_peer(std::size_t existing) const {
  return existing >= opts_.max_connections_per_peer ? Refusal::kPerPeer : Refusal::kNone;
}

void ConnectionLimits::handshake_ended(const std::string& address) {
  if (handshaking_total_ > 0) --handshaking_total_;
  auto it = handshaking_.find(address);
  if (it == handshaking_.end()) return;
  if (--it->second == 0) handshaking_.erase(it);
}

std::size_t ConnectionLimits::handshaking(const std::string& address) const {
  auto it = handshaking_.find(address);
  return it == handshaking_.end() ? 0 : it->second;
}

std::string ConnectionLimits::explain(Refusal r) const {
  switch (r) {
    case Refusal::kNone:
      return "admitted";
    case Refusal::kMaxConnections:
      return "max_connections (" + std::to_string(opts_.max_connections) + ") reached";
    case Refusal::kPerPeer:
      return "max_connections_per_peer (" + std::to_string(opts_.max_connections_per_peer) + ") reached";
    case Refusal::kPerAddress:
      return "max_handshakes_per_address (" + std::to_string(opts_.max_handshakes_per_address) +
             ") reached for that address";
    case Refusal::kHandshakeRate:
      return "max_handshakes_per_second (" + std::to_string(opts_.max_handshakes_per_second) + ") exceeded";
  }
  return "refused";
}

const char* ConnectionLimits::name(Refusal r) {
  switch (r) {
    case Refusal::kNone:
      return "none";
    case Refusal::kMaxConnections:
      return "max_connections";
    case Refusal::kPerPeer:
      return "per_peer";
    case Refusal::kPerAddress:
      return "per_address";
    case Refusal::kHandshakeRate:
      return "handshake_rate";
  }
  return "unknown";
}

std::optional<std::string> ConnectionLimits::log_refusal(const std::string& what) {
  const auto t = now();
  if (logged_once_ && t - last_log_ < kLogInterval) {
    ++unlogged_;
    return std::nullopt;
  }
  std::string line = what;
  if (unlogged_ > 0) {
    line += " (and " + std::to_string(unlogged_) + " more connection(s) refused since the last such line)";
  }
  logged_once_ = true;
  last_log_ = t;
  unlogged_ = 0;
  return line;
}

}  // namespace butter::host
