// ConnectionLimits: admission checks, per-address handshake counts, the handshake token bucket and
// the rate limit on refusal log lines (see connection_limits.hpp).
#include "transport/connection_limits.hpp"

#include <algorithm>
#include <cmath>

namespace butter::host {

ConnectionLimits::ConnectionLimits(Options options) : opts_(std::move(options)) {
  tokens_ = static_cast<double>(opts_.max_handshakes_per_second);
  refilled_ = now();
}

std::chrono::steady_clock::time_point ConnectionLimits::now() const {
  return opts_.clock ? opts_.clock() : std::chrono::steady_clock::now();
}

void ConnectionLimits::refill() {
  const double rate = static_cast<double>(opts_.max_handshakes_per_second);
  const auto t = now();
  if (t > refilled_) {
    tokens_ = std::min(rate, tokens_ + std::chrono::duration<double>(t - refilled_).count() * rate);
    refilled_ = t;
  }
}

std::chrono::nanoseconds ConnectionLimits::handshake_wait() {
  refill();
  if (tokens_ >= 1.0) return std::chrono::nanoseconds(0);
  const double rate = static_cast<double>(opts_.max_handshakes_per_second);
  // Rounded up, and at least 1 ns, so that the caller never spins on a token just out of reach.
  const double ns = std::ceil((1.0 - tokens_) / rate * 1e9);
  return std::chrono::nanoseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(ns)));
}

bool ConnectionLimits::take_token() {
  refill();
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

ConnectionLimits::Refusal ConnectionLimits::admit_inbound(std::size_t open, const std::string& address) {
  if (open >= opts_.max_connections) return Refusal::kMaxConnections;
  if (!address.empty() && handshaking(address) >= opts_.max_handshakes_per_address) return Refusal::kPerAddress;
  if (!take_token()) return Refusal::kHandshakeRate;
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
