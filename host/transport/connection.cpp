#include "transport/connection.hpp"

#include <boost/asio/post.hpp>

#include <butter/wire.hpp>

#include <spdlog/spdlog.h>

namespace butter::host {

// At most this many frames go into one gathered write: enough to amortise the syscall, few
// enough that the iovec stays small.
static constexpr std::size_t kMaxFramesPerWrite = 64;
// Bytes handed to a pipelined pipe beyond the first write in flight: what one read's worth of
// requests answers (TcpPipe reads up to 1 MiB per wake-up), so that those answers leave while the
// batch is parsed; a pipe with no room keeps them queued, sealed, up to this much per connection.
static constexpr std::size_t kMaxBytesInFlight = 1024 * 1024;
// A write beside one in flight only once it is worth a system call (and, encrypted, a record) of
// its own; smaller frames wait for the write in flight and leave together, as they always did.
static constexpr std::size_t kMinPipelinedBytes = 64 * 1024;
// Payloads from this size are sealed straight from the sender's buffers when they can be: below
// it, the copy costs less than the bookkeeping of the borrowed pieces.
static constexpr std::size_t kSealFromCallerBytes = 4 * 1024;

Connection::Connection(const Strand& strand, Owner* owner, Transport::Stats* stats, TransportMemory* memory,
                       std::uint64_t id, bool outbound, std::string dial_uri, Limits limits, std::string log_prefix)
    : strand_(strand),
      owner_(owner),
      stats_(stats),
      memory_(memory),
      id_(id),
      outbound_(outbound),
      dial_uri_(std::move(dial_uri)),
      limits_(limits),
      log_prefix_(std::move(log_prefix)),
      decoder_(limits.max_frame_bytes),
      hello_timer_(strand),
      idle_timer_(strand),
      frame_timer_(strand) {
  touch();
}

Connection::~Connection() {
  if (pipe_) pipe_->close();
}

std::string Connection::local_address() const { return pipe_ ? pipe_->local_address() : std::string(); }

std::string Connection::remote_address() const {
  if (pipe_) return pipe_->remote_address();
  return dial_uri_;
}

void Connection::attach(std::shared_ptr<BytePipe> pipe, std::vector<std::uint8_t> hello_payload,
                        const Security& security) {
  if (closed_) {
    pipe->close();
    return;
  }
  dial_cancel_ = nullptr;
  secure_ = std::make_shared<SecurePipe>(std::move(pipe), security.identity, noise_initiator.value_or(outbound_),
                                         security.plaintext);
  pipe_ = secure_;
  touch();

  Outgoing hello;
  hello.head = encode_frame_head(FrameType::kHello, 0, 0, {}, hello_payload.size());
  hello.payload = std::move(hello_payload);
  hello.control = true;
  queue_.push_front(std::move(hello));  // ahead of frames queued while dialling

  hello_timer_.expires_after(limits_.hello_timeout);
  hello_timer_.async_wait([w = weak_from_this()](boost::system::error_code ec) {
    auto self = w.lock();
    if (ec || !self || self->closed_ || self->hello_received_) return;
    self->close("no HELLO within " + std::to_string(self->limits_.hello_timeout.count()) + " ms");
  });

  std::weak_ptr<Connection> w = weak_from_this();
  pipe_->start({[w](std::span<const std::uint8_t> bytes) {
                  if (auto self = w.lock()) self->on_data(bytes);
                },
                [w](const std::string& reason) {
                  auto self = w.lock();
                  if (!self) return;
                  if (self->stats_ && self->secure_ && self->secure_->auth_failed()) ++self->stats_->auth_failures;
                  self->close(reason);
                },
                [w](std::span<std::uint8_t> bytes, std::size_t headroom) {
                  if (auto self = w.lock()) self->on_clear_data(bytes, headroom);
                }});
  flush_writes();
}

void Connection::mark_up(Hello peer) {
  if (closed_) return;
  peer_ = std::move(peer);
  up_ = true;
  arm_idle_timer();
  send_features();
  flush_writes();
}

void Connection::send_features() {
  // Only encrypted connections have anything to announce: clear tails save sealing, and a
  // plaintext connection seals nothing.
  if (!secure_ || secure_->plaintext()) return;
  std::uint8_t bits[4];
  wire::put_u32(bits, kFeatureClearTails);
  Outgoing o;
  o.head = encode_frame_head(FrameType::kOneway, 0, 0, kFeaturesProtocol, sizeof bits);
  o.payload.assign(bits, bits + sizeof bits);
  const std::size_t size = o.head.size() + o.payload.size();
  push(std::move(o), size);  // a few bytes, once per connection: not refused for backpressure
}

void Connection::on_features(std::span<const std::uint8_t> payload) {
  if (payload.size() < 4) return;  // nothing this version understands
  peer_takes_clear_tails_ = (wire::get_u32(payload.data()) & kFeatureClearTails) != 0;
}

Error Connection::enqueue(FrameType type, std::uint64_t request_id, std::int32_t status, std::string_view protocol,
                          std::span<const std::uint8_t> payload) {
  const std::span<const std::uint8_t> one[1] = {payload};
  return enqueue_parts(type, request_id, status, protocol, one);
}

Error Connection::enqueue_parts(FrameType type, std::uint64_t request_id, std::int32_t status,
                                std::string_view protocol, std::span<const std::span<const std::uint8_t>> parts) {
  if (closed_) return Error::make(BUTTER_E_UNAVAILABLE, "connection closed");
  std::size_t payload_size = 0;
  for (const auto& p : parts) payload_size += p.size();
  if (auto why = check_outgoing(type, protocol, payload_size, limits_.max_frame_bytes); !why.empty())
    return Error::make(BUTTER_E_INVALID, why);
  const std::size_t size = kFrameHeaderBytes + protocol.size() + payload_size;
  if (auto e = admit(size)) return e;
  Outgoing o;
  o.head = encode_frame_head(type, request_id, status, protocol, payload_size);
  if (!seal_from_caller(payload_size)) {
    copy_payload(o, parts, payload_size);  // the one copy
    push(std::move(o), size);
    flush_writes();
    return Error::ok();
  }
  // No copy: the frame is first in line and the pipe seals what it is handed before write()
  // returns, so the records are made straight from the caller's bytes. Handed beside a write in
  // flight too (`more`), as answers made during a read are.
  o.borrowed.assign(parts.begin(), parts.end());
  o.sealed_from_caller = payload_size;
  push(std::move(o), size);
  flush_writes(true);
  if (!queue_.empty() && !queue_.back().borrowed.empty()) {
    Outgoing& b = queue_.back();
    if (queue_.size() > frames_in_flight_) {  // not handed after all (the pipe is full): copy
      copy_payload(b, b.borrowed, payload_size);
      b.sealed_from_caller = 0;
    } else if (stats_) {
      stats_->payload_bytes_sealed_from_caller += payload_size;
    }
    b.borrowed.clear();  // the caller's bytes are not ours after this call
  }
  return Error::ok();
}

void Connection::copy_payload(Outgoing& o, std::span<const std::span<const std::uint8_t>> parts, std::size_t bytes) {
  // Into uninitialised capacity (reserve, then insert), not zero-filled first.
  o.payload.reserve(bytes);
  for (const auto& p : parts) o.payload.insert(o.payload.end(), p.begin(), p.end());
}

bool Connection::seal_from_caller(std::size_t bytes) const {
  return bytes >= kSealFromCallerBytes && up_ && secure_ && secure_->seals_on_write() &&
         frames_in_flight_ == queue_.size();
}

Error Connection::enqueue_clear_tail(std::string_view protocol, std::span<const std::uint8_t> head,
                                     std::span<const std::uint8_t> tail) {
  if (tail.empty() || !takes_clear_tails()) {
    const std::span<const std::uint8_t> parts[2] = {head, tail};
    return enqueue_parts(FrameType::kOneway, 0, 0, protocol, parts);
  }
  if (closed_) return Error::make(BUTTER_E_UNAVAILABLE, "connection closed");
  const std::size_t payload_size = head.size() + tail.size();
  if (auto why = check_outgoing(FrameType::kOneway, protocol, payload_size, limits_.max_frame_bytes, true);
      !why.empty())
    return Error::make(BUTTER_E_INVALID, why);
  const std::size_t size = kFrameHeaderBytes + protocol.size() + kClearTailFieldBytes + payload_size;
  if (auto e = admit(size)) return e;
  Outgoing o;
  // The head (sealed) carries the frame's header, protocol, tail field and the caller's head; the
  // tail is the one copy of the bytes this hop does not seal.
  o.head = encode_frame_head(FrameType::kOneway, 0, 0, protocol, payload_size, tail.size());
  o.head.insert(o.head.end(), head.begin(), head.end());
  o.payload.assign(tail.begin(), tail.end());
  o.clear_tail = true;
  if (stats_) stats_->clear_tail_bytes_out += tail.size();
  push(std::move(o), size);
  // Tails are relayed bytes: a relay forwards the Data messages of a whole read, and an end hands
  // a relayed stream's pieces on one after another. Written at once, each would be a write (and a
  // wake-up of the reader) of its own; after the turn they leave together. butter-bench-nat-relay,
  // five interleaved pairs: relayed / direct 0.48x -> 0.53x (medians), CPU per relayed byte /
  // per direct byte 1.76x -> 1.58x. (Writing each tail at once from the caller's buffer, to save
  // the copy above, measured worse: a write per tail costs more than the copy.)
  flush_after_turn();
  return Error::ok();
}

void Connection::flush_after_turn() {
  if (flush_posted_ || closed_) return;
  flush_posted_ = true;
  boost::asio::post(strand_, [w = weak_from_this()] {
    auto self = w.lock();
    if (!self) return;
    self->flush_posted_ = false;
    self->flush_writes(true);
  });
}

Error Connection::admit(std::size_t size) {
  if (queued_bytes_ > 0 && queued_bytes_ + size > limits_.max_queued_bytes) {
    if (stats_) ++stats_->backpressure_rejections;
    return Error::make(BUTTER_E_AGAIN, "outgoing queue to " + remote_address() + " is full (" +
                                           std::to_string(queued_bytes_) + " bytes queued)");
  }
  if (memory_ && !memory_->out_has_room(size) && queued_bytes_ + size > kAlwaysQueuedBytes) {
    if (owner_) owner_->connection_out_pressure(*this, size);
    if (closed_) return Error::make(BUTTER_E_UNAVAILABLE, "connection closed");
  }
  if (memory_ && !memory_->out_has_room(size) && queued_bytes_ + size > kAlwaysQueuedBytes) {
    if (stats_) ++stats_->memory_refusals;
    return Error::make(BUTTER_E_AGAIN, "the transport's memory for outgoing frames is in use (" +
                                           std::to_string(memory_->out) + " of " +
                                           std::to_string(memory_->out_limit()) + " bytes queued on all connections)");
  }
  return Error::ok();
}

void Connection::push(Outgoing o, std::size_t size) {
  if (queued_bytes_ == 0) write_progress_ = std::chrono::steady_clock::now();
  queue_.push_back(std::move(o));
  queued_bytes_ += size;
  if (memory_) memory_->out += size;
}

void Connection::flush_writes(bool more) {
  if (closed_ || !pipe_) return;
  if (writes_in_flight_ > 0 && !(more && pipe_->pipelined() && bytes_in_flight_ < kMaxBytesInFlight)) return;
  // Called after every read: leave at once, without gathering, when what waits behind the write in
  // flight cannot reach kMinPipelinedBytes (queued_bytes_ counts the frames in flight too).
  if (writes_in_flight_ > 0 && queued_bytes_ < bytes_in_flight_ + kMinPipelinedBytes) return;
  std::vector<boost::asio::const_buffer> buffers;
  std::vector<bool> clear;  // per buffer, once a clear tail is among them (any_clear)
  bool any_clear = false;
  std::size_t frames = 0, bytes = 0;
  for (auto it = queue_.begin() + static_cast<std::ptrdiff_t>(frames_in_flight_); it != queue_.end(); ++it) {
    const Outgoing& o = *it;
    if (!o.control && !up_) break;  // held until the peer's HELLO is accepted
    if (o.clear_tail && !any_clear) {
      any_clear = true;
      clear.assign(buffers.size(), false);
    }
    buffers.emplace_back(o.head.data(), o.head.size());
    if (any_clear) clear.push_back(false);
    if (!o.payload.empty()) {
      buffers.emplace_back(o.payload.data(), o.payload.size());
      if (any_clear) clear.push_back(o.clear_tail);
    }
    for (const auto& p : o.borrowed) {
      if (p.empty()) continue;
      buffers.emplace_back(p.data(), p.size());
      if (any_clear) clear.push_back(false);
    }
    bytes += o.size();
    if (++frames == kMaxFramesPerWrite) break;
  }
  if (frames == 0) return;
  if (writes_in_flight_ > 0 && bytes < kMinPipelinedBytes && frames < kMaxFramesPerWrite) return;
  ++writes_in_flight_;
  if (stats_) ++stats_->writes;
  frames_in_flight_ += frames;
  bytes_in_flight_ += bytes;
  // The buffers point into queue_ elements; deque::push_back does not move existing elements,
  // and nothing is popped until the write completes. Completions come in the order of the writes
  // (BytePipe), so each pops the oldest frames.
  auto done = [w = weak_from_this(), frames, bytes](const std::string& error) {
    if (auto self = w.lock()) self->on_written(error, frames, bytes);
  };
  if (any_clear && secure_)
    secure_->write_frames(std::move(buffers), std::move(clear), std::move(done));
  else
    pipe_->write(std::move(buffers), std::move(done));
}

void Connection::on_written(const std::string& error, std::size_t frames, std::size_t bytes) {
  if (closed_) return;
  --writes_in_flight_;
  frames_in_flight_ -= frames;
  bytes_in_flight_ -= bytes;
  if (!error.empty()) return close("write failed: " + error);
  touch();
  write_progress_ = last_activity_;
  for (std::size_t i = 0; i < frames && !queue_.empty(); ++i) {
    auto& o = queue_.front();
    const std::size_t size = o.size();
    if (!o.control) {
      queued_bytes_ -= size;
      if (memory_) memory_->out -= size;
    }
    if (stats_) {
      ++stats_->frames_out;
      stats_->bytes_out += size;
    }
    queue_.pop_front();
  }
  flush_writes();
}

void Connection::on_data(std::span<const std::uint8_t> bytes) {
  receive(bytes.size(), false, [&](auto&& on_frame) { return decoder_.consume(bytes, on_frame); });
}

void Connection::on_clear_data(std::span<std::uint8_t> bytes, std::size_t headroom) {
  receive(bytes.size(), true, [&](auto&& on_frame) { return decoder_.consume_clear(bytes, headroom, on_frame); });
}

template <class Decode>
void Connection::receive(std::size_t bytes, bool clear, Decode&& decode) {
  if (closed_) return;
  auto self = shared_from_this();  // the owner may drop its reference from inside a callback
  touch();
  last_received_ = last_activity_;
  if (stats_) {
    stats_->bytes_in += bytes;
    if (clear) stats_->clear_tail_bytes_in += bytes;
  }
  bool completed = false;
  auto on_frame = [&](const FrameView& f) {
    if (stats_) ++stats_->frames_in;
    completed = true;
    return handle_frame(f);
  };
  // Frames are parsed where they were read (decrypted in place by the SecurePipe): only a frame cut
  // by the end of this read is copied, into the decoder's buffer. Clear bytes are taken only as the
  // tail a frame head this peer sealed declared (FrameDecoder refuses them anywhere else), so a
  // clear segment cannot forge a frame: it can only be the declared payload.
  const auto s = decode(on_frame);
  if (s == FrameDecoder::Status::kError) return malformed(decoder_.error());
  if (s == FrameDecoder::Status::kNeedMore) after_read(completed);
  // What the frames of this read were answered with leaves now, beside a write still in flight,
  // rather than after the rest of the read loop (the pipe's turn comes only once it returns).
  if (completed) flush_writes(true);
}

void Connection::account_in() {
  // The pipe's partial record too (SecurePipe), or a peer could hold memory outside the budget.
  const std::size_t held = decoder_.buffered_capacity() + (pipe_ ? pipe_->buffered_capacity() : 0);
  if (memory_) memory_->in = memory_->in - in_accounted_ + held;
  in_accounted_ = held;
}

void Connection::after_read(bool completed) {
  if (closed_) return;
  account_in();
  if (decoder_.buffered() == 0) {
    frame_started_.reset();
    frame_timer_.cancel();
  } else {
    if (completed || !frame_started_) frame_started_ = std::chrono::steady_clock::now();
    arm_frame_timer();
  }
  if (memory_ && memory_->in_over() && owner_) owner_->connection_memory_pressure(*this);
}

void Connection::arm_frame_timer() {
  if (limits_.frame_deadline.count() <= 0 || !frame_started_) return;
  const std::size_t length = decoder_.partial_frame_length();
  const auto allowance = std::chrono::milliseconds(
      static_cast<std::int64_t>(length / std::max<std::size_t>(limits_.frame_min_rate, 1) * 1000));
  const auto due = *frame_started_ + limits_.frame_deadline + allowance;
  if (due == frame_due_) return;  // armed for this frame already
  frame_due_ = due;
  frame_timer_.expires_at(due);
  frame_timer_.async_wait([w = weak_from_this(), length](boost::system::error_code ec) {
    auto self = w.lock();
    if (ec || !self || self->closed_ || !self->frame_started_) return;
    if (std::chrono::steady_clock::now() < self->frame_due_) return;  // re-armed meanwhile
    if (self->stats_) ++self->stats_->frame_timeouts;
    const auto waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - *self->frame_started_);
    auto why = "a frame of " + std::to_string(length) + " bytes was not complete after " +
               std::to_string(waited.count()) + " ms (" + std::to_string(self->decoder_.buffered()) +
               " bytes received)";
    spdlog::warn("{} closing connection to {}: {}", self->log_prefix_, self->remote_address(), why);
    self->close(why);
  });
}

bool Connection::handle_frame(const FrameView& f) {
  if (!hello_received_) {
    if (f.type != FrameType::kHello) {
      malformed(std::string("expected HELLO first, got ") + frame_type_name(f.type));
      return false;
    }
    hello_received_ = true;
    hello_timer_.cancel();
    auto h = decode_hello(f.payload);
    if (!h.hello) {
      if (h.version_mismatch) {
        spdlog::warn("{} closing connection to {}: {}", log_prefix_, remote_address(), h.error);
        close(h.error);
      } else {
        malformed("bad HELLO: " + h.error);
      }
      return false;
    }
    if (secure_ && secure_->peer_id() && *secure_->peer_id() != h.hello->id) {
      auto why = "peer claims id " + h.hello->id.hex() + " but holds the key of " + secure_->peer_id()->hex();
      if (stats_) ++stats_->auth_failures;
      spdlog::warn("{} closing connection to {}: {}", log_prefix_, remote_address(), why);
      close(why);
      return false;
    }
    if (owner_) owner_->connection_hello(*this, *h.hello);
    return !closed_;
  }
  if (f.type == FrameType::kHello) {
    malformed("duplicate HELLO");
    return false;
  }
  if (!up_) return !closed_;  // cannot happen: the owner decides within connection_hello
  if (f.type == FrameType::kOneway && f.protocol == kFeaturesProtocol) {
    on_features(f.payload);
    return !closed_;
  }
  if (owner_) owner_->connection_frame(*this, f);
  return !closed_;
}

void Connection::malformed(const std::string& reason) {
  if (closed_) return;
  if (stats_) ++stats_->malformed_frames;
  spdlog::warn("{} malformed frame from {}: {}; closing that connection", log_prefix_, remote_address(), reason);
  close("malformed frame: " + reason);
}

void Connection::arm_idle_timer() {
  if (limits_.idle_timeout.count() <= 0 || closed_) return;
  auto due = last_activity_ + limits_.idle_timeout;
  idle_timer_.expires_at(due);
  idle_timer_.async_wait([w = weak_from_this()](boost::system::error_code ec) {
    auto self = w.lock();
    if (ec || !self || self->closed_) return;
    auto idle_for = std::chrono::steady_clock::now() - self->last_activity_;
    if (idle_for >= self->limits_.idle_timeout && self->writes_in_flight_ == 0 && self->owner_ &&
        self->owner_->connection_may_idle_close(*self)) {
      spdlog::debug("{} closing idle connection to {}", self->log_prefix_, self->remote_address());
      return self->close("idle");
    }
    if (idle_for >= self->limits_.idle_timeout) self->touch();  // busy: look again a full period later
    self->arm_idle_timer();
  });
}

void Connection::close(const std::string& reason) {
  if (closed_) return;
  auto self = shared_from_this();  // the owner drops its reference in connection_closed
  Owner* owner = owner_;
  detach_and_close();
  if (owner) owner->connection_closed(*this, reason);
}

void Connection::detach_and_close() {
  if (closed_) return;
  closed_ = true;
  hello_timer_.cancel();
  idle_timer_.cancel();
  frame_timer_.cancel();
  if (memory_) {
    memory_->out -= queued_bytes_;
    memory_->in -= in_accounted_;
    memory_ = nullptr;
  }
  in_accounted_ = 0;
  if (dial_cancel_) std::exchange(dial_cancel_, nullptr)();
  if (pipe_) pipe_->close();
  queue_.clear();
  queued_bytes_ = 0;
  owner_ = nullptr;
  stats_ = nullptr;
}

}  // namespace butter::host
