// Transport: TCP connections between nodes, keyed by node id after a HELLO handshake.
//
// Every connection first runs an authenticated key exchange (Noise XX over X25519, see
// secure_channel.hpp): each side proves it holds the Ed25519 key whose public half is its node id,
// HELLO is the first frame inside the channel, and every byte after the handshake is sealed with
// ChaCha20-Poly1305. A record that fails authentication closes that connection
// (Stats::auth_failures). TransportOptions::plaintext turns this off, for debugging only.
//
// Frames are length-prefixed (see frame.hpp). A connection is "up" once both sides have sent and
// received HELLO (node id, listen endpoints, protocol version). Requests carry a request id and a
// deadline; a response or the deadline completes them exactly once. Outgoing bytes per connection
// are bounded: over the bound, send/request return BUTTER_E_AGAIN (backpressure) rather than
// queueing without limit. A malformed frame closes that connection with a logged reason and
// affects nothing else. Connections beyond the limits of TransportLimits (in total, per peer,
// in handshake per address, handshakes per second) are refused and counted, the others unaffected.
//
// Threading: everything here runs on the node's strand; every callback below is invoked on it.
// Endpoints are URIs: "tcp://127.0.0.1:7000", "tcp://[::1]:7000". Other schemes go to a Dialer
// registered for them (the NAT plugin's "relay://").
#pragma once
#include "core/executor.hpp"
#include "core/identity.hpp"
#include "core/node_id.hpp"
#include "core/status.hpp"
#include "transport/transport_limits.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace butter::host {

class TransportImpl;

// A byte stream supplied by a plugin for a non-TCP scheme. The host runs HELLO and frames over it
// exactly as over TCP. Every function is called on the node's strand.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Bytes from the remote side arrived.
  virtual void deliver(std::span<const std::uint8_t> bytes) = 0;
  // The remote side closed the stream (or the dialer failed it).
  virtual void closed(const std::string& reason) = 0;
  // The dialer can take bytes again after answering a write BUTTER_E_AGAIN (butter.streams.flow/1).
  virtual void writable() {}
};

class Dialer {
 public:
  virtual ~Dialer() = default;
  // Opens a stream to `uri`. On success returns a stream id the dialer chose, and from then on
  // calls sink->deliver / sink->closed; the host calls write/close below with that id.
  virtual Error dial(const std::string& uri, std::shared_ptr<StreamSink> sink, std::uint64_t& stream_id) = 0;
  // Writes (copies or sends) `bytes` before returning; the span is borrowed for the call.
  // BUTTER_E_AGAIN: nothing was taken; the same bytes are written again once the sink heard
  // writable() or after a short backoff (DialerPipe). Any other error closes the connection. dial() must not call the
  // sink before it returns (the host tolerates it, buffering, but the bytes are only handed on from a later strand turn
  // anyway).
  virtual Error write(std::uint64_t stream_id, std::span<const std::uint8_t> bytes) = 0;
  virtual void close(std::uint64_t stream_id) = 0;
};

// The limits (TransportLimits: frame and queue sizes, connection counts, handshake rate, punch
// budget, connection manager) are the base, with the manifest's [node] defaults; the rest is what
// only the transport knows.
struct TransportOptions : TransportLimits {
  // The node's key pair: its public key is the node id every connection proves (see
  // secure_channel.hpp). When set, `self` is taken from it. When null, an ephemeral key pair is
  // made (and `self` set from it) unless `plaintext` is set and `self` is not zero: then `self` is
  // kept as given.
  std::shared_ptr<const Identity> identity;
  NodeId self;  // kept for compatibility; equals identity->id() once the transport is made
  // DEBUGGING ONLY: no key exchange, no encryption, no authentication (peers' ids are taken on
  // trust from HELLO). Both sides must agree; a mismatch fails the connection with a reason.
  bool plaintext = false;
  // URIs to bind; port 0 picks a free port. An outgoing TCP connection is bound to the first
  // listen address of the destination's family and kind (loopback or not) when that is a specific
  // address (not 0.0.0.0 / ::): peers see the node's connections come from the address it is
  // known by (several nodes of one machine on 127.x.y.z look like separate hosts to the
  // per-address limits). A wildcard listener leaves the source to the kernel (source_address()).
  std::vector<std::string> listen;
  // Tests only: the clock of the handshake rate limit, of the punch budget and of the refusal
  // log (null: steady_clock).
  std::function<std::chrono::steady_clock::time_point()> clock;
  std::chrono::milliseconds hello_timeout{5000};
  std::chrono::milliseconds connect_timeout{5000};
  // A second connection to a peer (both dialled at once) is closed once it has carried nothing for
  // this long and has no request in flight: one connection per pair of nodes.
  std::chrono::milliseconds duplicate_drain{500};
  // Bytes the transport may hold for all connections together (0 = no bound): half for outgoing
  // queues (over it send/request/reply return BUTTER_E_AGAIN, Stats::memory_refusals), half for
  // partly received frames (over it the connection whose unfinished frame started first is
  // closed, Stats::memory_closes). The node gives it half of [node] memory_budget.
  std::size_t memory_limit = 0;
  // When the outgoing half is full, a connection whose peer has read nothing of its queue for
  // write_stall is closed to make room, the one with the most queued first (Stats::stalled_closes):
  // a peer that never reads cannot hold the memory every other peer's answers need.
  std::chrono::milliseconds write_stall{2000};
  // A frame once begun must be complete within frame_deadline + its length / frame_min_rate
  // (bytes per second), or the connection closes (Stats::frame_timeouts): a peer cannot hold a
  // partial frame, and its buffer, forever. 0 ms = no deadline.
  std::chrono::milliseconds frame_deadline{10000};
  std::size_t frame_min_rate = 64 * 1024;
  // At max_connections a newcomer (inbound, or a dial of this node's) closes the least recently
  // active unprotected inbound connection idle for at least evict_idle, from the remote address
  // holding most of those (Stats::evicted_for_newcomer); a peer in active use is never evicted.
  std::chrono::milliseconds evict_idle{5000};
  // Node ids whose endpoints the address book keeps (least recently used forgotten first).
  std::size_t max_known_addresses = 8192;
};

// Extra sockets of a punch (Transport::punch).
struct PunchSpread {
  std::uint32_t local_sockets = 0;
  std::uint32_t remote_guesses = 0;
};

struct PeerInfo {
  NodeId id;
  std::vector<std::string> endpoints;  // what the peer advertised in its HELLO
  std::string remote_address;          // "tcp://ip:port" of the socket, as seen from here
  bool outbound = false;
  // How the connection was made: "dialled", "accepted", "relayed-out" / "relayed-in" (over a
  // plugin's stream, e.g. relay://), or "punched" (hole punching, see Transport::punch).
  std::string how;
  bool relayed = false;  // over a plugin's stream rather than a direct TCP connection
  // "tcp://ip:port" of this side of the socket (what a NAT maps, compared with where a peer says
  // it sees this node); empty over a plugin's stream.
  std::string local_address;
};

// Completes a request exactly once. status BUTTER_OK with the payload of the response, or an
// error (BUTTER_E_TIMEOUT, BUTTER_E_UNAVAILABLE when the connection dropped, BUTTER_E_NOT_FOUND when
// the peer had no handler, or the status the remote handler replied with).
using ResponseFn = std::function<void(std::int32_t status, const NodeId& from, std::span<const std::uint8_t> payload)>;

// Identifies an inbound request so that it can be answered later (replies may be asynchronous).
struct ReplyToken {
  std::uint64_t connection = 0;
  std::uint64_t request_id = 0;
};

struct TransportHandlers {
  // A one-way message arrived.
  std::function<void(const NodeId& from, const std::string& protocol, std::span<const std::uint8_t> payload)>
      on_message;
  // A request arrived; answer with Transport::reply(token, ...) now or later.
  std::function<void(const NodeId& from, const std::string& protocol, std::span<const std::uint8_t> payload,
                     ReplyToken token)>
      on_request;
  std::function<void(const PeerInfo&)> on_peer_up;
  std::function<void(const NodeId&, const std::string& reason)> on_peer_down;
};

// Threading and lifetime: every public method must be called on `strand` (the node's), and every
// socket and timer is created on it, so every handler and callback runs there too. stop() closes
// everything; the Transport may then be destroyed (on the strand, or with the io_context not
// running) even while handlers are still queued: they find it gone and do nothing. A callback
// must not destroy the Transport from inside itself. Exceptions thrown by callbacks are caught
// and logged; an on_request that throws before replying is answered BUTTER_E_INTERNAL.
class Transport {
 public:
  Transport(IoContext& io, Strand strand, TransportOptions options, TransportHandlers handlers);
  // Calls stop() if it was not called.
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds every listen endpoint. On success listen_endpoints() holds the bound URIs (real ports).
  Error start();
  // Closes listeners and connections; fails every pending request with BUTTER_E_CANCELLED (and
  // pending connect() calls likewise). on_peer_down is not called for connections stop() closes.
  // Afterwards every call returns BUTTER_E_CANCELLED; a stopped transport cannot be restarted.
  void stop();

  std::vector<std::string> listen_endpoints() const;
  // What this node announces (HELLO, butter.node/1 endpoints): the listen endpoints, then those
  // advertised by plugins (a relay:// endpoint an ambassador gave this node), newest first.
  std::vector<std::string> announced_endpoints() const;
  // At most 8 advertised endpoints; false when full or already there. withdraw: false if unknown.
  bool advertise(const std::string& uri);
  bool withdraw(const std::string& uri);

  // Connection manager (conn_manager.hpp): protection by tag, per owner (a plugin instance's name).
  // A protected peer is neither trimmed above the high watermark nor closed when idle.
  bool protect(const NodeId& peer, const std::string& owner, const std::string& tag);
  bool unprotect(const NodeId& peer, const std::string& owner, const std::string& tag);
  void release_protection(const std::string& owner);
  // A plugin is done with `peer` (butter.connections.release/1): its connections are closed once
  // nothing is in flight on them, if this node dialled them less than the grace ago, nobody
  // protects the peer and more than low_water peers are connected; else nothing changes. False
  // when the peer is not connected.
  bool release_peer(const NodeId& peer);
  struct ConnInfo {
    std::size_t low_water = 0, high_water = 0, peers = 0, protected_peers = 0, connections = 0;
  };
  ConnInfo conn_info() const;

  // `peer` is a node id in hex (must be connected, or have a known endpoint) or an endpoint URI
  // (dialled if not yet connected; the message waits, bounded, for the HELLO).
  // Errors: BUTTER_E_NOT_FOUND (hex id with no connection or address), BUTTER_E_INVALID (bad
  // peer, our own id or endpoint, protocol id or size), BUTTER_E_UNSUPPORTED (no dialer for the
  // scheme), BUTTER_E_UNAVAILABLE (a dialer refused at once), BUTTER_E_AGAIN (queue full).
  // A message queued for a dial that then fails is dropped (requests fail, see below).
  Error send(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> payload);
  // As send(), with the payload `head` then `sealed`: bytes the caller already protects end to end
  // (ciphertext the final receiver authenticates). Where the connection is encrypted and the peer
  // takes them, they cross this hop without being sealed again (frame.hpp's clear tails; the head
  // and where the bytes lie stay sealed); elsewhere the message goes as send() would.
  Error send_sealed(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> head,
                    std::span<const std::uint8_t> sealed);
  // request: same errors as send(); when it returns an error, on_response is never called.
  // Otherwise on_response is called exactly once (unless cancel()led): BUTTER_E_TIMEOUT after
  // `timeout` (<= 0: no deadline), BUTTER_E_UNAVAILABLE when the connection it went out on closes
  // (including a failed dial), BUTTER_E_CANCELLED on stop(). For local errors the payload is a
  // short reason text and `from` is the zero id if the peer never said HELLO. Request ids are
  // unique per transport; a response arriving after completion is ignored (Stats::late_responses).
  Error request(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> payload,
                std::chrono::milliseconds timeout, ResponseFn on_response, std::uint64_t* request_id = nullptr);

  // Cancels a pending request; its callback is not called. False when it already completed.
  bool cancel(std::uint64_t request_id);
  // Answers an inbound request. Returns BUTTER_E_NOT_FOUND if the connection is gone or the
  // token was already used. With a non-OK status, put the error text in `payload`. If it returns
  // BUTTER_E_AGAIN the token stays valid and the reply may be retried.
  Error reply(ReplyToken token, std::int32_t status, std::span<const std::uint8_t> payload);
  // As reply(), with the payload in parts joined only where the frame is queued (one copy).
  Error reply_parts(ReplyToken token, std::int32_t status, std::span<const std::span<const std::uint8_t>> parts);

  // Connects (if needed) and calls back with the peer's node id once HELLO completed. `done` is
  // always called later (never from inside connect()), exactly once. `uri` may also be a hex id.
  void connect(const std::string& uri, std::function<void(Error, const NodeId&)> done);
  // Remembers endpoints for a node id, so that send(hex id) can dial it. Endpoints are tried in
  // order; with `front`, the given ones move first (newest information first).
  void add_address(const NodeId& id, const std::vector<std::string>& endpoints, bool front = false);
  void disconnect(const NodeId& id, const std::string& reason);

  // BUTTER_E_INVALID for "tcp", a bad scheme, or a scheme that already has a dialer.
  Error register_dialer(const std::string& scheme, std::shared_ptr<Dialer> dialer);
  // Also closes every connection running over that dialer (its code may be about to unload).
  void unregister_dialer(const std::string& scheme);
  // An inbound stream of `scheme` (one that arrived through the dialer's plugin, e.g. relayed to
  // a node behind NAT): runs the responder side of the handshake, HELLO and frames over it, as
  // for an accepted TCP connection. The stream is `stream_id` for the dialer's write/close, which
  // are called from a later strand turn only; `sink` receives its bytes. `remote` is its
  // remote_address. BUTTER_E_INVALID when no dialer serves the scheme.
  Error accept_stream(const std::string& scheme, const std::string& remote, std::uint64_t stream_id,
                      std::shared_ptr<StreamSink>& sink);

  // Hole punching (TCP simultaneous open; policy — when, which addresses, retries — is the NAT
  // plugin's). Connects to each of `endpoints` (tcp:// with a numeric address, at most 4 used)
  // from this node's first listen address and port, with SO_REUSEADDR/SO_REUSEPORT, so that a
  // NAT with endpoint-independent, port-preserving mapping shows the peer the address it was
  // told; the peer does the same at the same moment. A SYN from the peer that reaches this
  // node's listener from one of `endpoints` while the punch runs counts as the punch's
  // connection too. The first connection made is kept, the other attempts cancelled. Since both
  // sides "connect", the Noise roles come from the ids: the smaller node id initiates. The HELLO
  // must name `peer`. Once up, the punched connection becomes the preferred path to `peer` on
  // both sides, and a relayed connection to it is closed once it has carried its last message
  // (responses go back where their requests came in): plugins see the same peer throughout.
  // `done` is called exactly once, later (never inside punch()): OK when the punched connection
  // is up; otherwise an error whose message starts with the reason: "timeout" (nothing within
  // `window`), "refused", "handshake" (connected, then the key exchange or HELLO failed), "busy"
  // (a punch to `peer` runs, or 8 run), "unusable" (no endpoint to use), "no-listen" (this node
  // listens on no tcp endpoint), "budget" (every SYN the punch would send was over the node's
  // punch budget, TransportLimits::punch_syns_*: none was sent), "cancelled" (stop()).
  //
  // Every SYN a punch sends (one per endpoint and spread socket, and a retry after a reset) takes
  // a token of TransportLimits::punch_syns_* first, per destination IP (the spread's from a
  // per-IP bucket of their own) and node-wide; those over budget are not sent
  // (Stats::punch_syns_refused). The endpoints are the peer's claims: the
  // budget bounds what a hostile peer naming a third party's address can make this node send.
  //
  // `spread` adds sockets for NATs whose mapping is random ("symmetric"), the "many sockets" or
  // birthday attempt, all towards the FIRST endpoint (the caller puts the peer's observed public
  // address first): `local_sockets` more connections, each from a distinct ephemeral local port
  // (so a random-mapping NAT opens that many mappings towards the peer), and `remote_guesses` more
  // from the listen port to that many distinct random ports (1024..65535) of its address (one may
  // be the port the peer's random NAT gave one of its sockets). Bounded by
  // kMaxPunchLocalSockets / kMaxPunchGuesses.
  using PunchSpread = host::PunchSpread;
  static constexpr std::uint32_t kMaxPunchLocalSockets = 256, kMaxPunchGuesses = 256;
  void punch(const NodeId& peer, const std::vector<std::string>& endpoints, std::chrono::milliseconds window,
             std::function<void(Error)> done, PunchSpread spread = {});

  // One entry per connected peer, describing its preferred connection: when two connections to
  // a peer exist (simultaneous dials), both stay open and both sides send on the one dialled by
  // the smaller node id (a punched connection before any other: both sides see it as punched). Responses always go back
  // on the connection their request came in on.
  std::vector<PeerInfo> peers() const;
  // The entry peers() has for `id`, without building the others: a lookup in the connection
  // table's index by node id (kept as connections come up and close). nullopt when none is up.
  std::optional<PeerInfo> peer(const NodeId& id) const;
  bool is_connected(const NodeId& id) const;

  struct Stats {
    std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    std::uint64_t writes = 0;  // writes handed to the connections' pipes (each carries one or more frames)
    std::uint64_t malformed_frames = 0, connections_opened = 0, connections_closed = 0;
    std::uint64_t requests_timed_out = 0, backpressure_rejections = 0;
    std::uint64_t late_responses = 0;  // responses whose request had completed or been cancelled
    // Connections closed because a handshake message or record failed authentication, or the
    // peer's HELLO named another node id than the key it proved it holds.
    std::uint64_t auth_failures = 0;
    // Inbound requests answered BUTTER_E_AGAIN because their connection had too many unanswered.
    std::uint64_t requests_shed = 0;
    // Connections refused by a limit of TransportOptions (all of them, then by limit): inbound
    // ones closed at accept or after HELLO (per peer), and dials failed with BUTTER_E_AGAIN.
    std::uint64_t connections_refused = 0;
    std::uint64_t refused_max_connections = 0, refused_per_peer = 0, refused_per_address = 0,
                  refused_handshake_rate = 0;
    // Connection manager: peers closed above the high watermark, unprotected connections closed
    // when idle, and second connections to a peer closed once drained.
    std::uint64_t trimmed = 0, idle_closed = 0, duplicates_closed = 0;
    // Peers closed because the plugin that dialled them for a one-off use released them.
    std::uint64_t released = 0;
    // Inbound connections closed to make room for a newcomer (or a dial of this node's own) when
    // max_connections was reached: the least recently active one from the address holding most.
    std::uint64_t evicted_for_newcomer = 0;
    // Bounds of TransportOptions: frames not completed in time, sends refused and connections
    // closed because memory_limit was reached.
    std::uint64_t frame_timeouts = 0, memory_refusals = 0, memory_closes = 0, stalled_closes = 0;
    // Times the transport stopped accepting until the handshake bucket refilled.
    std::uint64_t accepts_deferred = 0;
    // Hole punching (punch()): attempts started, punched connections up, attempts failed.
    std::uint64_t punch_attempts = 0, punch_successes = 0, punch_failures = 0;
    // Punch SYNs (connects and retries) not sent because the punch budget had no token for them.
    std::uint64_t punch_syns_refused = 0;
    // Bytes of frames' clear tails (frame.hpp): sent and received without the hop's sealing.
    std::uint64_t clear_tail_bytes_out = 0, clear_tail_bytes_in = 0;
    // Payload bytes sealed straight from the sender's buffers, never copied into a queue
    // (Connection::enqueue_parts: large frames first in line on an encrypted connection).
    std::uint64_t payload_bytes_sealed_from_caller = 0;
  };
  Stats stats() const;

  // What the transport holds now (/status): bytes queued out and of partial frames in, against
  // TransportOptions::memory_limit, and the address book's size.
  struct Usage {
    std::size_t memory_limit = 0, queued_out_bytes = 0, partial_in_bytes = 0;
    std::size_t connections = 0, address_book_nodes = 0, address_book_uris = 0;
    std::size_t open_inbound_requests = 0;  // request ids kept for a reply, all connections
  };
  Usage usage() const;

 private:
  std::unique_ptr<TransportImpl> impl_;
};

}  // namespace butter::host
