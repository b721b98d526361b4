// Connection: one byte pipe (TCP socket or dialer stream) carrying frames, from the HELLO
// exchange to close. It owns the decoder, the bounded outgoing queue and the HELLO / idle timers;
// what frames *mean* (requests, peers) is the owner's (TransportImpl's) business.
//
// The pipe is wrapped in a SecurePipe: the authenticated key exchange runs first, and HELLO is
// the first frame inside the secure channel; a HELLO naming another node id than the one the
// peer proved it holds the key of closes the connection.
// States: dialling (no pipe yet; frames may be queued) -> handshaking (key exchange, then our
// HELLO sent, waiting for theirs) -> up (owner accepted the peer's HELLO; queued frames flow) -> closed.
// Everything runs on the node's strand. Asynchronous handlers hold the connection weakly or
// strongly but never call the owner once it is closed: close() forgets the owner, so a Transport
// that has stopped can be destroyed while handlers are still queued.
#pragma once
#include "core/executor.hpp"
#include "transport/byte_pipe.hpp"
#include "transport/frame.hpp"
#include "transport/hello.hpp"
#include "transport/secure_pipe.hpp"
#include "transport/transport.hpp"
#include "transport/transport_memory.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace butter::host {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // The peer's HELLO arrived and parsed. The owner calls mark_up() or close().
    virtual void connection_hello(Connection& c, const Hello& hello) = 0;
    // A frame other than HELLO arrived on an up connection.
    virtual void connection_frame(Connection& c, const FrameView& frame) = 0;
    // The connection closed (called once; not called for detach_and_close()).
    virtual void connection_closed(Connection& c, const std::string& reason) = 0;
    // Nothing moved for idle_timeout: may the connection be closed? (Not while requests wait.)
    virtual bool connection_may_idle_close(Connection& c) = 0;
    // Partial frames of all connections hold more than TransportMemory::in_limit(), after bytes
    // arrived on `c`: the owner closes connections until they do not.
    virtual void connection_memory_pressure(Connection& c) = 0;
    // Outgoing queues of all connections hold TransportMemory::out_limit() and `c` wants to queue
    // `bytes` more: the owner may close other connections whose peers stopped reading (never `c`).
    virtual void connection_out_pressure(Connection& c, std::size_t bytes) = 0;
  };

  struct Security {
    std::shared_ptr<const Identity> identity;  // may be null only in plaintext mode
    bool plaintext = false;
  };

  struct Limits {
    std::size_t max_frame_bytes = TransportLimits{}.max_frame_bytes;
    std::size_t max_queued_bytes = TransportLimits{}.max_queued_bytes_per_connection;
    std::chrono::milliseconds hello_timeout{5000};
    std::chrono::milliseconds idle_timeout{0};
    std::chrono::milliseconds frame_deadline{10000};  // see TransportOptions
    std::size_t frame_min_rate = 64 * 1024;
  };

  // `memory` (may be null) is the transport-wide byte count this connection adds its share to.
  Connection(const Strand& strand, Owner* owner, Transport::Stats* stats, TransportMemory* memory, std::uint64_t id,
             bool outbound, std::string dial_uri, Limits limits, std::string log_prefix);
  ~Connection();

  // While dialling: how to abandon the dial if the connection is closed first.
  void set_dial_cancel(std::function<void()> cancel) { dial_cancel_ = std::move(cancel); }
  // The pipe is open: sends our HELLO ahead of anything queued, arms the HELLO deadline, reads.
  // The pipe is wrapped in a SecurePipe (this side initiates when outbound).
  void attach(std::shared_ptr<BytePipe> pipe, std::vector<std::uint8_t> hello_payload, const Security& security);
  // The owner accepted the peer's HELLO: queued frames start to flow.
  void mark_up(Hello peer);

  // Queues a frame (copying the payload once, unless it is sealed straight from the caller's bytes
  // in this call: see seal_from_caller()). BUTTER_E_AGAIN over the byte bound (a frame is
  // always accepted into an empty queue, so any frame under max_frame_bytes can go eventually),
  // or when the transport's memory for outgoing frames is used up and peers that stopped reading
  // cannot be closed to make room (a queue under kAlwaysQueuedBytes still takes a frame that
  // keeps it under, so that small answers are never starved by others' full queues),
  // BUTTER_E_INVALID for a frame that may not be sent, BUTTER_E_UNAVAILABLE once closed.
  Error enqueue(FrameType type, std::uint64_t request_id, std::int32_t status, std::string_view protocol,
                std::span<const std::uint8_t> payload);
  // As enqueue(), with the payload given in parts that are joined in that one copy (a reply made
  // of a prefix and a borrowed body needs no joined copy of its own).
  Error enqueue_parts(FrameType type, std::uint64_t request_id, std::int32_t status, std::string_view protocol,
                      std::span<const std::span<const std::uint8_t>> parts);

  // A one-way frame whose payload is `head` then `tail`, where `tail` is already protected end to
  // end by the caller (a relayed secure channel's records): when the peer takes clear tails
  // (takes_clear_tails()), `tail` crosses this hop without being sealed again (frame.hpp); else the
  // frame goes as enqueue_parts() sends it. Same bounds and results as enqueue().
  Error enqueue_clear_tail(std::string_view protocol, std::span<const std::uint8_t> head,
                           std::span<const std::uint8_t> tail);
  // The peer said it takes frames with clear tails (its features message) and the connection is
  // encrypted (in plaintext mode nothing is sealed, so there is nothing to skip).
  bool takes_clear_tails() const { return peer_takes_clear_tails_ && secure_ && !secure_->plaintext(); }

  // The transport's own one-way message, sent by both sides once the connection is up and handled
  // here (an older node routes it to no plugin and drops it): a u32 of feature bits; unknown bits
  // and bytes after them are ignored, so that later versions can add more.
  static constexpr std::string_view kFeaturesProtocol = "/butter/transport/features/1";
  static constexpr std::uint32_t kFeatureClearTails = 1u;

  // Closes with a reason and tells the owner. Idempotent.
  void close(const std::string& reason);
  // Closes without telling the owner (the transport is stopping and does its own bookkeeping).
  void detach_and_close();

  std::uint64_t id() const { return id_; }
  bool outbound() const { return outbound_; }
  bool up() const { return up_; }
  bool closed() const { return closed_; }
  const std::string& dial_uri() const { return dial_uri_; }
  const Hello& peer() const { return peer_; }  // valid once up()
  std::string remote_address() const;
  std::string local_address() const;  // empty over a plugin's stream
  std::size_t queued_bytes() const { return queued_bytes_; }
  // When the connection object was made, and when a frame last moved either way (connection manager).
  std::chrono::steady_clock::time_point opened_at() const { return opened_at_; }
  std::chrono::steady_clock::time_point last_activity() const { return last_activity_; }
  // When the peer last sent anything (what this node writes to it does not count): a peer that
  // connected and went silent is quiet however much this node's plugins talk to it.
  std::chrono::steady_clock::time_point last_received() const { return last_received_; }
  // Bytes held for a partly received frame (decoder capacity), and when that frame began (none
  // when no partial frame is buffered).
  std::size_t partial_in_bytes() const { return in_accounted_; }
  std::optional<std::chrono::steady_clock::time_point> partial_frame_started() const { return frame_started_; }

  static constexpr std::size_t kAlwaysQueuedBytes = 16 * 1024;
  // Since when the queue has waited for the peer to read: the last completed write, or when the
  // queue last became non-empty (none while the queue is empty).
  std::optional<std::chrono::steady_clock::time_point> write_waiting_since() const {
    if (queued_bytes_ == 0) return std::nullopt;
    return write_progress_;
  }

  // Set by the owner when it dialled a specific node id: a different id in HELLO is refused.
  std::optional<NodeId> expected_id;
  // The dialer scheme this connection runs over ("" for tcp), to close it on unregister.
  std::string scheme;
  // Made by hole punching (TCP simultaneous open, or the punch target's SYN reaching our
  // listener): both sides "connected", so the Noise roles come from the node ids instead
  // (noise_initiator, set before attach: the smaller id initiates), and the connection is the
  // preferred path to its peer on both sides (see TransportImpl::preferred).
  bool punched = false;
  std::optional<bool> noise_initiator;  // unset: this side initiates when outbound
  // Inbound requests not yet answered: a ReplyToken is valid while its id is here.
  std::set<std::uint64_t> open_inbound_requests;
  bool shedding_logged = false;  // the first shed request of this connection was logged
  // An inbound connection counted by ConnectionLimits as in handshake (from handshake_address, ""
  // for a relayed stream) until the owner releases it.
  bool handshake_counted = false;
  std::string handshake_address;

 private:
  struct Outgoing {
    std::vector<std::uint8_t> head;
    std::vector<std::uint8_t> payload;
    // The caller's payload pieces, borrowed during enqueue_parts() only: the pipe seals them
    // straight from there when it takes the frame in that call (seal_from_caller()); if it does
    // not, they are copied into `payload` before enqueue_parts() returns. Empty afterwards.
    std::vector<std::span<const std::uint8_t>> borrowed;
    std::size_t sealed_from_caller = 0;  // payload bytes sealed from `borrowed`, held nowhere here
    bool control = false;                // HELLO: may be written before the connection is up
    bool clear_tail = false;             // `payload` is the frame's clear tail, written unsealed
    // The frame's bytes before sealing (what queued_bytes_ and the stats count).
    std::size_t size() const { return head.size() + payload.size() + sealed_from_caller; }
  };

  // Admits a frame of `size` bytes into the queue (the bounds of enqueue()).
  Error admit(std::size_t size);
  void push(Outgoing o, std::size_t size);
  // Whether a payload of `bytes` may be borrowed from the caller (Outgoing::borrowed): the pipe
  // seals what it is handed in the same call, and nothing waits in the queue ahead of the frame.
  bool seal_from_caller(std::size_t bytes) const;
  // The caller's payload pieces (`bytes` in all) into o.payload: the queue's own copy.
  static void copy_payload(Outgoing& o, std::span<const std::span<const std::uint8_t>> parts, std::size_t bytes);
  void on_data(std::span<const std::uint8_t> bytes);
  // A frame's clear tail; `headroom` bytes before it are ours to overwrite (BytePipe::Handlers).
  void on_clear_data(std::span<std::uint8_t> bytes, std::size_t headroom);
  // Bytes into the decoder (`decode` runs it on the frames' callback), frames on to the owner.
  template <class Decode>
  void receive(std::size_t bytes, bool clear, Decode&& decode);
  void send_features();
  void on_features(std::span<const std::uint8_t> payload);
  bool handle_frame(const FrameView& f);  // false: stop processing (closed)
  void malformed(const std::string& reason);
  // Hands queued frames to the pipe when no write is in flight; with `more`, also beside writes in
  // flight when the pipe takes them (BytePipe::pipelined), up to kMaxBytesInFlight.
  void flush_writes(bool more = false);
  // flush_writes(true) once this strand turn is over (one post, however many frames ask): what
  // the turn queued leaves in one write.
  void flush_after_turn();
  void on_written(const std::string& error, std::size_t frames, std::size_t bytes);
  void arm_idle_timer();
  // After a read: accounts the decoder's buffer, runs the deadline of an unfinished frame, and
  // tells the owner when partial frames exceed the transport's memory. `completed`: a frame was
  // taken out in this read (so a partial frame left over began in it).
  void after_read(bool completed);
  void arm_frame_timer();
  void account_in();
  void touch() { last_activity_ = std::chrono::steady_clock::now(); }

  Strand strand_;
  Owner* owner_;
  Transport::Stats* stats_;
  TransportMemory* memory_;
  std::uint64_t id_;
  bool outbound_;
  std::string dial_uri_;
  Limits limits_;
  std::string log_prefix_;

  std::shared_ptr<BytePipe> pipe_;
  std::shared_ptr<SecurePipe> secure_;  // the same object as pipe_
  std::function<void()> dial_cancel_;
  FrameDecoder decoder_;
  std::deque<Outgoing> queue_;
  std::size_t queued_bytes_ = 0;  // payload+head bytes of non-control frames in queue_
  // The front frames_in_flight_ frames of queue_ were handed to the pipe in writes_in_flight_
  // writes; they are popped as those complete (in order).
  std::size_t writes_in_flight_ = 0, frames_in_flight_ = 0, bytes_in_flight_ = 0;
  bool hello_received_ = false;
  bool up_ = false;
  bool closed_ = false;
  bool flush_posted_ = false;  // flush_after_turn()
  bool peer_takes_clear_tails_ = false;
  Hello peer_;
  boost::asio::steady_timer hello_timer_;
  boost::asio::steady_timer idle_timer_;
  boost::asio::steady_timer frame_timer_;
  std::optional<std::chrono::steady_clock::time_point> frame_started_;
  std::chrono::steady_clock::time_point frame_due_{};
  std::size_t in_accounted_ = 0;  // our share of memory_->in
  std::chrono::steady_clock::time_point write_progress_{};
  std::chrono::steady_clock::time_point last_received_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point opened_at_ = std::chrono::steady_clock::now();
};

}  // namespace butter::host
