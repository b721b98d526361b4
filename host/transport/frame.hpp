// The frame: the unit every connection carries, whatever the byte pipe under it.
//
// Wire layout, big-endian:
//   u32 length     bytes after this field (header rest + protocol + payload), <= max_frame_bytes
//   u8  type       HELLO=1, REQUEST=2, RESPONSE=3, ONEWAY=4; anything else is malformed
//   u8  flags      0, or kFrameFlagClearTail on a non-HELLO frame; any other bit is malformed
//   u16 proto_len  <= 256; REQUEST and ONEWAY need a non-empty UTF-8 protocol id
//   u64 request_id REQUEST/RESPONSE pair by it; 0 otherwise
//   i32 status     the answer's status for RESPONSE; 0 otherwise
//   protocol bytes, then payload bytes (the rest)
// With kFrameFlagClearTail, a u32 `clear` follows the protocol id (counted in the length, not part
// of the payload): the payload's last `clear` bytes (1 <= clear <= payload) are its clear tail,
// bytes the sending plugin already protects end to end (a relayed secure channel's records; see
// butter.net.sealed/1 in ext/net.h). Over an encrypted connection the tail crosses the hop as the
// channel's clear segments (secure_channel.hpp), right after the sealed rest of the frame, so a
// relay does not encrypt ciphertext a second time; the decoder takes clear bytes only there
// (consume_clear) and refuses them anywhere else, so they can never be read as a frame's head, and
// what the hop authenticates (the frame's head, its protocol and where its tail lies) stays sealed.
// A peer gets such frames only after it said it takes them (Connection's features message).
//
// Encoding produces a small "head" (the fixed header plus the protocol id) and leaves the payload
// where it is, so that a write can gather head + payload without copying the payload again.
// Decoding is incremental. The transport's path is FrameDecoder::consume(): frames that lie whole
// in the bytes just received are parsed where they are and handed out as views into them; only a
// frame cut by the end of a read is copied, into the decoder's own buffer, and only up to its own
// end. feed()/next() (tests, tools) copy everything into that buffer first.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace butter::host {

enum class FrameType : std::uint8_t { kHello = 1, kRequest = 2, kResponse = 3, kOneway = 4 };

const char* frame_type_name(FrameType t);

inline constexpr std::size_t kFrameLengthBytes = 4;  // the u32 length prefix
inline constexpr std::size_t kFrameHeaderRest = 16;  // type..status, counted in the length
inline constexpr std::size_t kFrameHeaderBytes = kFrameLengthBytes + kFrameHeaderRest;
inline constexpr std::size_t kMaxProtocolBytes = 256;
inline constexpr std::size_t kDefaultMaxFrameBytes = 16 * 1024 * 1024;
inline constexpr std::uint8_t kFrameFlagClearTail = 0x01;
inline constexpr std::size_t kClearTailFieldBytes = 4;  // the u32 `clear` of a flagged frame

// An owned frame: what tests build and compare. The transport itself works on FrameView.
struct Frame {
  FrameType type = FrameType::kOneway;
  std::uint8_t flags = 0;
  std::uint64_t request_id = 0;
  std::int32_t status = 0;
  std::string protocol;
  std::vector<std::uint8_t> payload;

  friend bool operator==(const Frame&, const Frame&) = default;
};

// A decoded frame that borrows the decoder's buffer: valid until the next feed()/next() call.
struct FrameView {
  FrameType type = FrameType::kOneway;
  std::uint8_t flags = 0;
  std::uint64_t request_id = 0;
  std::int32_t status = 0;
  std::string_view protocol;
  std::span<const std::uint8_t> payload;

  Frame to_frame() const;
};

// Checks what the sender controls before anything is queued: protocol id shape and total size
// (with `clear_tail`, the flagged frame's u32 field too). Returns an empty string when the frame
// may be sent, else the reason.
std::string check_outgoing(FrameType type, std::string_view protocol, std::size_t payload_size,
                           std::size_t max_frame_bytes, bool clear_tail = false);

// The head of a frame: 20 header bytes followed by the protocol id (and, when `clear_tail` > 0,
// kFrameFlagClearTail and the u32 field). The payload follows on the wire but is not copied here.
// REQUIRES: check_outgoing(...) returned ""; clear_tail <= payload_size.
std::vector<std::uint8_t> encode_frame_head(FrameType type, std::uint64_t request_id, std::int32_t status,
                                            std::string_view protocol, std::size_t payload_size,
                                            std::size_t clear_tail = 0);

// Head + payload in one buffer: convenient for tests and for byte-stream dialers.
std::vector<std::uint8_t> encode_frame(const Frame& f);

class FrameDecoder {
 public:
  enum class Status { kNeedMore, kFrame, kError };

  explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes) : max_(max_frame_bytes) {}

  // The zero-copy path. Calls on_frame(const FrameView&) for every frame completed by `bytes`, in
  // order; a view points into `bytes` (a frame that lay whole in it) or into the decoder's buffer
  // (a frame that began in an earlier call), and is valid during that on_frame call only. on_frame
  // returns false to stop (the connection closed): the rest of `bytes` is then dropped. What is
  // left of `bytes` after the last whole frame is copied into the decoder's buffer (reserved up to
  // the end of that frame, as its header declares, once at least half of it is here).
  // Returns kNeedMore when all of `bytes` was taken, kError (see error()) on a malformed frame, and
  // kFrame when on_frame stopped it.
  template <class OnFrame>
  Status consume(std::span<const std::uint8_t> bytes, OnFrame&& on_frame);

  // The clear segments of a frame's clear tail (see the top of this file), as the secure channel
  // hands them on: taken only while that tail is due (the frame's sealed part is all here), and
  // never more than is due; anything else is kError. The frame is handed to on_frame (a view into
  // the decoder's buffer) once its tail is complete. Returns as consume().
  template <class OnFrame>
  Status consume_clear(std::span<const std::uint8_t> bytes, OnFrame&& on_frame);
  // As above, where the `headroom` bytes right before `bytes` are the caller's to overwrite (in
  // its read buffer: the secure channel's record and segment headers, bytes already handed on).
  // When `bytes` completes the tail and the frame's sealed part (kept here, a head of a few dozen
  // bytes) fits in the headroom, that part is written right before the tail and the frame is
  // parsed there: the tail, often 64 KiB, is not copied into the decoder's buffer.
  template <class OnFrame>
  Status consume_clear(std::span<std::uint8_t> bytes, std::size_t headroom, OnFrame&& on_frame);
  // Bytes of a clear tail still due (0 when none is).
  std::size_t clear_due() const { return clear_due_; }

  // Appends received bytes. Invalidates any FrameView handed out before. (feed()/next() take no
  // clear tails: a flagged frame never completes there.)
  void feed(std::span<const std::uint8_t> bytes);

  // Takes the next complete frame out of the buffer. On kFrame `out` is filled; on kError
  // error() says why and the decoder stays failed (the stream cannot be resynchronised).
  Status next(FrameView& out);

  const std::string& error() const { return error_; }
  // Bytes received but not yet consumed as frames; non-zero at end of stream means the peer
  // closed mid-frame.
  std::size_t buffered() const { return buf_.size() - pos_; }
  // Bytes of capacity held. Once next() returned kNeedMore with at most a small partial frame
  // buffered, this is at most kIdleBufferKeep (read_buffer.hpp): an idle connection does not keep
  // the capacity a large frame needed.
  std::size_t buffered_capacity() const { return buf_.capacity(); }
  // When bytes are buffered: the whole length (length prefix included) of the frame they begin,
  // as its header declares, or kFrameHeaderBytes while the length prefix is not all here yet.
  std::size_t partial_frame_length() const;

 private:
  Status fail(std::string reason);
  Status need_more();
  // Parses the frame at the front of p[0..avail): kFrame (out filled, `used` = its whole length),
  // kNeedMore (incomplete, headers so far valid) or kError. A flagged frame is complete only with
  // `tail_arrived` (consume_clear); without it, bytes past its sealed part are kError.
  Status parse(const std::uint8_t* p, std::size_t avail, FrameView& out, std::size_t& used, bool tail_arrived = false);
  // The buffered partial frame is flagged and its sealed part is all here: its tail is now due
  // (clear_due_ set). False otherwise.
  bool arm_clear_tail();
  // Where the buffered partial frame's bytes from the plain stream end: its whole length, or for a
  // flagged frame (once its field is here) where its tail begins.
  std::size_t plain_end() const;
  Status plain_where_tail_due();
  // consume()'s helpers: tops the buffered partial frame up from `in` (advancing it) as far as that
  // frame's end; keeps a partial frame left at the end of a read.
  void top_up(std::span<const std::uint8_t>& in);
  void keep(std::span<const std::uint8_t> rest);
  void append_tail(std::span<const std::uint8_t> tail);
  // consume_clear()'s copying path: `in` (at most what is due) appended to the buffered frame.
  template <class OnFrame>
  Status take_clear(std::span<const std::uint8_t> in, OnFrame&& on_frame);

  std::size_t max_;
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0;  // start of the first unconsumed byte in buf_
  std::size_t clear_due_ = 0;
  std::string error_;
};

template <class OnFrame>
FrameDecoder::Status FrameDecoder::consume(std::span<const std::uint8_t> in, OnFrame&& on_frame) {
  if (!error_.empty()) return Status::kError;
  if (clear_due_ > 0) return in.empty() ? Status::kNeedMore : plain_where_tail_due();
  FrameView f;
  std::size_t used = 0;
  // First the frame an earlier read left unfinished, completed from the front of `in`.
  while (buffered() > 0) {
    top_up(in);
    const Status s = parse(buf_.data() + pos_, buffered(), f, used);
    if (s == Status::kError) return s;
    if (s == Status::kNeedMore) {
      if (arm_clear_tail()) return in.empty() ? Status::kNeedMore : plain_where_tail_due();
      if (!in.empty()) continue;  // the header told the length only now: top up to its end
      return need_more();
    }
    pos_ += used;
    if (!on_frame(static_cast<const FrameView&>(f))) return Status::kFrame;
    if (buffered() == 0) need_more();  // gives back a large frame's buffer at once
  }
  // Then every frame that lies whole in `in`, where it is.
  while (!in.empty()) {
    const Status s = parse(in.data(), in.size(), f, used);
    if (s == Status::kError) return s;
    if (s == Status::kNeedMore) break;
    in = in.subspan(used);
    if (!on_frame(static_cast<const FrameView&>(f))) return Status::kFrame;
  }
  keep(in);
  arm_clear_tail();  // parse() refused bytes past a flagged frame's sealed part, so none follow
  return Status::kNeedMore;
}

template <class OnFrame>
FrameDecoder::Status FrameDecoder::consume_clear(std::span<const std::uint8_t> in, OnFrame&& on_frame) {
  if (!error_.empty()) return Status::kError;
  if (in.empty()) return Status::kNeedMore;
  if (clear_due_ == 0) return fail("clear bytes arrived where no frame's clear tail was due");
  if (in.size() > clear_due_)
    return fail("a clear segment of " + std::to_string(in.size()) + " bytes overruns the frame's clear tail (" +
                std::to_string(clear_due_) + " bytes due)");
  return take_clear(in, on_frame);
}

template <class OnFrame>
FrameDecoder::Status FrameDecoder::consume_clear(std::span<std::uint8_t> in, std::size_t headroom, OnFrame&& on_frame) {
  // Anything but a whole tail with room before it (errors included) takes the copying path.
  if (!error_.empty() || clear_due_ == 0 || in.size() != clear_due_ || buffered() > headroom)
    return consume_clear(std::span<const std::uint8_t>(in), on_frame);
  // The whole tail, with room before it for the sealed part: the frame is joined in the caller's
  // buffer (a copy of the head) instead of in ours (a copy of the tail).
  std::uint8_t* start = in.data() - buffered();
  std::memcpy(start, buf_.data() + pos_, buffered());
  const std::size_t whole = buffered() + in.size();
  buf_.clear();
  pos_ = 0;
  clear_due_ = 0;
  FrameView f;
  std::size_t used = 0;
  const Status s = parse(start, whole, f, used, true);
  if (s != Status::kFrame || used != whole)
    return s == Status::kError ? s : fail("a frame's clear tail ended before the frame");
  if (!on_frame(static_cast<const FrameView&>(f))) return Status::kFrame;
  return need_more();  // gives a buffer a partial frame grew back
}

template <class OnFrame>
FrameDecoder::Status FrameDecoder::take_clear(std::span<const std::uint8_t> in, OnFrame&& on_frame) {
  append_tail(in);
  clear_due_ -= in.size();
  if (clear_due_ > 0) return Status::kNeedMore;
  FrameView f;
  std::size_t used = 0;
  const Status s = parse(buf_.data() + pos_, buffered(), f, used, true);
  if (s != Status::kFrame) return s == Status::kError ? s : fail("a frame's clear tail ended before the frame");
  pos_ += used;
  if (!on_frame(static_cast<const FrameView&>(f))) return Status::kFrame;
  return need_more();  // nothing follows a tail in the buffer: gives the frame's capacity back
}

// One-shot decode of exactly one frame (tests, diagnostics): "truncated header" and friends
// when `bytes` is not exactly one valid frame.
std::optional<Frame> decode_frame(std::span<const std::uint8_t> bytes, std::string& error,
                                  std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

}  // namespace butter::host
