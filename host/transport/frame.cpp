#include "transport/frame.hpp"
#include "transport/partial_capacity.hpp"

#include "transport/read_buffer.hpp"
#include "transport/transport_limits.hpp"
#include "transport/utf8.hpp"

#include <butter/wire.hpp>
#include <butter/ext/net.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace butter::host {

// What ext/net.h promises plugins (and the SDK's fake host enforces) is what the transport does.
static_assert(kMaxProtocolBytes == BUTTER_NET_MAX_PROTOCOL);
static_assert(kFrameHeaderRest == BUTTER_NET_FRAME_OVERHEAD);
static_assert(kDefaultMaxFrameBytes == BUTTER_NET_DEFAULT_MAX_FRAME);
// And the node's default (the manifest's and the transport's) is the same frame bound.
static_assert(kDefaultMaxFrameBytes == TransportLimits{}.max_frame_bytes);

const char* frame_type_name(FrameType t) {
  switch (t) {
    case FrameType::kHello:
      return "HELLO";
    case FrameType::kRequest:
      return "REQUEST";
    case FrameType::kResponse:
      return "RESPONSE";
    case FrameType::kOneway:
      return "ONEWAY";
  }
  return "unknown";
}

static bool known_type(std::uint8_t t) { return t >= 1 && t <= 4; }

static bool needs_protocol(FrameType t) { return t == FrameType::kRequest || t == FrameType::kOneway; }

// The protocol-id rule, shared by the encoder (refuse to send) and decoder (refuse to accept).
static std::string check_protocol(FrameType type, std::string_view protocol) {
  if (protocol.size() > kMaxProtocolBytes)
    return fmt::format("protocol id of {} bytes exceeds the {}-byte limit", protocol.size(), kMaxProtocolBytes);
  if (needs_protocol(type) && protocol.empty())
    return fmt::format("{} frame without a protocol id", frame_type_name(type));
  if (!valid_utf8_text(protocol)) return "protocol id is not valid UTF-8 text";
  return {};
}

Frame FrameView::to_frame() const {
  return Frame{type, flags, request_id, status, std::string(protocol), {payload.begin(), payload.end()}};
}

std::string check_outgoing(FrameType type, std::string_view protocol, std::size_t payload_size,
                           std::size_t max_frame_bytes, bool clear_tail) {
  if (auto e = check_protocol(type, protocol); !e.empty()) return e;
  if (clear_tail && type == FrameType::kHello) return "a HELLO cannot have a clear tail";
  std::size_t length = kFrameHeaderRest + protocol.size() + payload_size + (clear_tail ? kClearTailFieldBytes : 0);
  if (payload_size > max_frame_bytes || length > max_frame_bytes || length > 0xffffffffu)
    return fmt::format("frame of {} bytes exceeds the {}-byte limit", length, max_frame_bytes);
  return {};
}

std::vector<std::uint8_t> encode_frame_head(FrameType type, std::uint64_t request_id, std::int32_t status,
                                            std::string_view protocol, std::size_t payload_size,
                                            std::size_t clear_tail) {
  const std::size_t field = clear_tail > 0 ? kClearTailFieldBytes : 0;
  std::vector<std::uint8_t> head(kFrameHeaderBytes + protocol.size() + field);
  auto* p = head.data();
  wire::put_u32(p, static_cast<std::uint32_t>(kFrameHeaderRest + protocol.size() + field + payload_size));
  p[4] = static_cast<std::uint8_t>(type);
  p[5] = clear_tail > 0 ? kFrameFlagClearTail : 0;
  wire::put_u16(p + 6, static_cast<std::uint16_t>(protocol.size()));
  wire::put_u64(p + 8, request_id);
  wire::put_u32(p + 16, static_cast<std::uint32_t>(status));
  if (!protocol.empty()) std::memcpy(p + kFrameHeaderBytes, protocol.data(), protocol.size());
  if (field) wire::put_u32(p + kFrameHeaderBytes + protocol.size(), static_cast<std::uint32_t>(clear_tail));
  return head;
}

std::vector<std::uint8_t> encode_frame(const Frame& f) {
  auto out = encode_frame_head(f.type, f.request_id, f.status, f.protocol, f.payload.size());
  out[5] = f.flags;  // tests build frames with bad flags on purpose
  out.insert(out.end(), f.payload.begin(), f.payload.end());
  return out;
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (!error_.empty() || bytes.empty()) return;
  // Drop consumed bytes before growing, so the buffer holds at most one frame plus one read.
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= buf_.size() / 2)) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  // Grow by doubling, but never past the end of the frame being received (plus what this read
  // brought): a large frame holds about its own size, not up to twice it, which is what the
  // transport's memory bound counts.
  const std::size_t needed = buf_.size() + bytes.size();
  if (needed > buf_.capacity()) {
    std::size_t target = std::max(needed, 2 * buf_.capacity());
    if (buffered() >= kFrameLengthBytes) target = std::min(target, std::max(needed, pos_ + partial_frame_length()));
    buf_.reserve(target);
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

std::size_t FrameDecoder::partial_frame_length() const {
  if (buffered() < kFrameLengthBytes) return kFrameHeaderBytes;
  return kFrameLengthBytes + wire::get_u32(buf_.data() + pos_);
}

FrameDecoder::Status FrameDecoder::fail(std::string reason) {
  error_ = std::move(reason);
  return Status::kError;
}

FrameDecoder::Status FrameDecoder::need_more() {
  // The frame handed out last is no longer valid (views last until the next call), so the bytes
  // before pos_ can go. Keep only a small partial frame, in a small buffer: capacity a large
  // frame grew the buffer to is given back once the connection has nothing left to decode.
  const std::size_t rest = buf_.size() - pos_;
  if (rest == 0) {
    release_if_large(buf_);
    pos_ = 0;
  } else if (pos_ > 0 && rest <= kIdleBufferKeep && buf_.capacity() > kIdleBufferKeep) {
    std::vector<std::uint8_t> partial(buf_.begin() + static_cast<std::ptrdiff_t>(pos_), buf_.end());
    buf_.swap(partial);
    pos_ = 0;
  }
  return Status::kNeedMore;
}

FrameDecoder::Status FrameDecoder::parse(const std::uint8_t* p, std::size_t avail, FrameView& out, std::size_t& used,
                                         bool tail_arrived) {
  if (avail < kFrameLengthBytes) return Status::kNeedMore;
  const std::uint32_t length = wire::get_u32(p);
  // Check what can be checked as soon as its bytes are here: garbage is refused at once instead
  // of after waiting for (or buffering) a bogus length's worth of bytes.
  if (length > max_) return fail(fmt::format("frame of {} bytes exceeds the {}-byte limit", length, max_));
  if (length < kFrameHeaderRest)
    return fail(fmt::format("truncated header: frame length {} is below the {}-byte header", length, kFrameHeaderRest));
  if (avail > 4 && !known_type(p[4])) return fail(fmt::format("unknown frame type {}", p[4]));
  if (avail > 5 && (p[5] & ~kFrameFlagClearTail) != 0)
    return fail(fmt::format("frame flags 0x{:02x} have unknown bits", p[5]));
  if (avail > 5 && p[5] != 0 && p[4] == static_cast<std::uint8_t>(FrameType::kHello))
    return fail("a HELLO with a clear tail");
  if (avail < kFrameHeaderBytes) return Status::kNeedMore;
  const std::uint16_t proto_len = wire::get_u16(p + 6);
  if (proto_len > kMaxProtocolBytes)
    return fail(fmt::format("protocol id of {} bytes exceeds the {}-byte limit", proto_len, kMaxProtocolBytes));
  if (kFrameHeaderRest + proto_len > length)
    return fail(fmt::format("protocol id of {} bytes overruns a frame of {} bytes", proto_len, length));
  std::size_t field = 0;  // the clear-tail field's bytes
  if (p[5] & kFrameFlagClearTail) {
    field = kClearTailFieldBytes;
    if (kFrameHeaderRest + proto_len + field > length)
      return fail(fmt::format("clear-tail field overruns a frame of {} bytes", length));
    if (avail < kFrameHeaderBytes + proto_len + field) return Status::kNeedMore;
    const std::size_t tail = wire::get_u32(p + kFrameHeaderBytes + proto_len);
    const std::size_t payload = length - kFrameHeaderRest - proto_len - field;
    if (tail == 0 || tail > payload)
      return fail(fmt::format("clear tail of {} bytes in a payload of {} bytes", tail, payload));
    if (!tail_arrived) {
      const std::size_t sealed_end = kFrameLengthBytes + length - tail;
      if (avail > sealed_end) return fail("plain bytes arrived where a frame's clear tail was due");
      return Status::kNeedMore;
    }
  }
  if (avail < kFrameLengthBytes + length) return Status::kNeedMore;

  out.type = static_cast<FrameType>(p[4]);
  out.flags = p[5];
  out.request_id = wire::get_u64(p + 8);
  out.status = static_cast<std::int32_t>(wire::get_u32(p + 16));
  out.protocol = std::string_view(reinterpret_cast<const char*>(p + kFrameHeaderBytes), proto_len);
  out.payload = std::span<const std::uint8_t>(p + kFrameHeaderBytes + proto_len + field,
                                              length - kFrameHeaderRest - proto_len - field);
  if (auto e = check_protocol(out.type, out.protocol); !e.empty()) return fail(std::move(e));
  used = kFrameLengthBytes + length;
  return Status::kFrame;
}

FrameDecoder::Status FrameDecoder::next(FrameView& out) {
  if (!error_.empty()) return Status::kError;
  std::size_t used = 0;
  const Status s = parse(buf_.data() + pos_, buf_.size() - pos_, out, used);
  if (s == Status::kNeedMore) return need_more();
  if (s == Status::kFrame) pos_ += used;
  return s;
}

void FrameDecoder::top_up(std::span<const std::uint8_t>& in) {
  if (pos_ > 0) {  // only after feed()/next(): consume() keeps a partial frame at the front
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  // Up to the next point where the header can be checked further: the length, the fixed header,
  // then the end of the frame.
  const std::size_t have = buf_.size();
  const std::size_t target = have < kFrameLengthBytes   ? kFrameLengthBytes
                             : have < kFrameHeaderBytes ? kFrameHeaderBytes
                                                        : plain_end();
  const std::size_t take = std::min(in.size(), target > have ? target - have : 0);
  const std::size_t whole = have >= kFrameLengthBytes ? partial_frame_length() : 0;
  if (have + take > buf_.capacity()) buf_.reserve(partial_capacity(have + take, whole, buf_.capacity()));
  buf_.insert(buf_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
  in = in.subspan(take);
}

std::size_t FrameDecoder::plain_end() const {
  const std::uint8_t* p = buf_.data() + pos_;
  const std::size_t whole = partial_frame_length();
  if (buffered() < kFrameHeaderBytes || (p[5] & kFrameFlagClearTail) == 0) return whole;
  const std::size_t field_at = kFrameHeaderBytes + wire::get_u16(p + 6);
  if (buffered() < field_at + kClearTailFieldBytes) return std::min(whole, field_at + kClearTailFieldBytes);
  const std::size_t tail = wire::get_u32(p + field_at);
  return tail < whole ? whole - tail : whole;  // a tail too large fails in parse()
}

bool FrameDecoder::arm_clear_tail() {
  if (buffered() < kFrameHeaderBytes || (buf_[pos_ + 5] & kFrameFlagClearTail) == 0) return false;
  const std::size_t field_at = kFrameHeaderBytes + wire::get_u16(buf_.data() + pos_ + 6);
  if (buffered() < field_at + kClearTailFieldBytes || buffered() != plain_end()) return false;
  clear_due_ = partial_frame_length() - plain_end();  // parse() checked the field's bounds
  return clear_due_ > 0;
}

FrameDecoder::Status FrameDecoder::plain_where_tail_due() {
  return fail("plain bytes arrived where a frame's clear tail of " + std::to_string(clear_due_) + " bytes was due");
}

void FrameDecoder::append_tail(std::span<const std::uint8_t> tail) {
  const std::size_t have = buf_.size();
  if (have + tail.size() > buf_.capacity())
    buf_.reserve(partial_capacity(have + tail.size(), pos_ + partial_frame_length(), buf_.capacity()));
  buf_.insert(buf_.end(), tail.begin(), tail.end());
}

void FrameDecoder::keep(std::span<const std::uint8_t> rest) {
  if (rest.empty()) return;
  // buffered() is 0 here: the frames before `rest` were all handed out.
  buf_.clear();
  pos_ = 0;
  const std::size_t whole = rest.size() >= kFrameLengthBytes ? kFrameLengthBytes + wire::get_u32(rest.data()) : 0;
  if (rest.size() > buf_.capacity()) buf_.reserve(partial_capacity(rest.size(), whole, 0));
  buf_.assign(rest.begin(), rest.end());
}

std::optional<Frame> decode_frame(std::span<const std::uint8_t> bytes, std::string& error,
                                  std::size_t max_frame_bytes) {
  FrameDecoder d(max_frame_bytes);
  d.feed(bytes);
  FrameView v;
  switch (d.next(v)) {
    case FrameDecoder::Status::kError:
      error = d.error();
      return std::nullopt;
    case FrameDecoder::Status::kNeedMore:
      error = bytes.size() < kFrameHeaderBytes ? "truncated header" : "truncated frame";
      return std::nullopt;
    case FrameDecoder::Status::kFrame:
      break;
  }
  if (d.buffered() != 0) {
    error = fmt::format("{} trailing bytes after the frame", d.buffered());
    return std::nullopt;
  }
  error.clear();
  return v.to_frame();
}

}  // namespace butter::host
