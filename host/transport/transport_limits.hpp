// TransportLimits: the bounds a node puts on its connections, in one place. The manifest's [node]
// section (NodeSpec) is one, the transport's options (TransportOptions) are one, and the node
// hands the first to the second whole. Each field is named as the [node] key users write (README
// `[node]` table), and its default member initialiser is the one default of that limit: the
// manifest's when a key is absent, and the transport's when a test or bench makes one directly.
// The ranges a manifest may set are checked in manifest/node_section.cpp.
#pragma once
#include <chrono>
#include <cstdint>

namespace butter::host {

struct TransportLimits {
  // Largest frame sent or accepted; a bigger one closes the connection as malformed.
  // (frame.hpp's kDefaultMaxFrameBytes and the SDK's BUTTER_NET_DEFAULT_MAX_FRAME equal it.)
  std::uint64_t max_frame_bytes = 16ull * 1024 * 1024;
  // Unanswered inbound requests per connection; the next one is answered BUTTER_E_AGAIN at once
  // (Stats::requests_shed, load shedding), so a peer that floods cannot grow this node's memory or
  // starve others.
  std::uint32_t max_inflight_requests = 1024;
  // Outgoing bytes queued per connection; over it, send/request/reply return BUTTER_E_AGAIN
  // (Stats::backpressure_rejections).
  std::uint64_t max_queued_bytes_per_connection = 32ull * 1024 * 1024;

  // Connection limits. A connection beyond one is closed with a reason, logged at most once per
  // few seconds (with the count of the others), and counted in Stats::connections_refused; every
  // other connection goes on as before.
  // - max_connections: every open connection, those dialling or in handshake included. An inbound
  //   one beyond it is closed right after accept, before any crypto; a dial fails BUTTER_E_AGAIN.
  // - max_connections_per_peer: up connections to one node id, once its HELLO proved it
  //   (simultaneous dials legitimately make 2). A new one beyond it is closed; the older stay.
  // - max_handshakes_per_address: inbound TCP connections from one remote IP still in key
  //   exchange or HELLO; one more is closed at accept. (Relayed streams count toward the others.)
  // - max_handshakes_per_second: inbound handshakes started per second, a token bucket with a
  //   burst of the same size: the X25519/Ed25519 work is what a flooder can force. When it is
  //   empty the transport stops accepting until a token is back: newcomers wait in the kernel's
  //   listen backlog (sized to about hello_timeout / 2 worth of handshakes, so that one accepted
  //   late has not given up yet) rather than being refused; the kernel drops SYNs beyond it and
  //   the dialer retries. A relayed stream (accept_stream) has no backlog and is refused.
  std::uint32_t max_connections = 1024;
  std::uint32_t max_connections_per_peer = 4;
  std::uint32_t max_handshakes_per_address = 32;
  std::uint32_t max_handshakes_per_second = 256;

  // Hole punching's SYNs (punch_budget.hpp, whose PunchBudgetLimits defaults are these): per
  // destination IP a minute (also the burst), node-wide a second, and the spread's SYNs to the one
  // vouched IP it goes to, a minute. Whatever addresses a caller of punch() names, this node sends
  // no more than that to them.
  // A legitimate punch sends about a dozen SYNs to the peer's IP (4 endpoints, the default spread
  // of 4 + 4) and retries with a backoff: 64 a minute lets a few attempts through and keeps a third
  // party named by a hostile peer to about one SYN a second from this node.
  std::uint32_t punch_syns_per_ip_per_minute = 64;
  // One punch with a full spread (256 + 256 and its endpoints) fits in a second.
  std::uint32_t punch_syns_per_second = 520;
  // A punch at a random mapping opens 256 sockets (or sends 256 guesses) to the peer's IP; this
  // lets about four of them through a minute.
  std::uint32_t punch_spread_syns_per_ip_per_minute = 1024;

  // Connection manager (conn_manager.hpp): above the high watermark of connected peers the
  // unprotected ones are trimmed down to the low one; a connection younger than
  // connection_grace_ms is kept; unprotected connections idle (no frame either way) for
  // connection_idle_ms close (0 = kept), but only while more than connections_low_water peers are
  // connected. connections_high_water 0 = no trimming (the transport's; a manifest needs >= 1).
  std::uint32_t connections_low_water = 8;
  std::uint32_t connections_high_water = 32;
  std::uint32_t connection_grace_ms = 20000;
  std::uint32_t connection_idle_ms = 30000;
  // The two above as durations, for the code that compares times with them.
  std::chrono::milliseconds connection_grace() const { return std::chrono::milliseconds(connection_grace_ms); }
  std::chrono::milliseconds connection_idle() const { return std::chrono::milliseconds(connection_idle_ms); }

  bool operator==(const TransportLimits&) const = default;
};

}  // namespace butter::host
