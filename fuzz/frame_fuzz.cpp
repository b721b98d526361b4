// Fuzz target: the transport's incremental frame decoder (host/transport/frame.*).
//
// The stream is fed in fuzzer-chosen pieces, as TCP would deliver it, to a decoder with a
// fuzzer-chosen frame limit. Invariants: every frame taken out re-encodes to exactly the bytes it
// was decoded from; once failed, the decoder stays failed; the one-shot decode_frame() of the first
// frame agrees with the incremental decoder.
#include "fuzz_support.hpp"
#include "transport/frame.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

using namespace butter::host;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // host code logs every refusal
  return 0;
}

// The transport's path: consume() for bytes of records and consume_clear() for clear segments
// (frame.hpp's clear tails), each piece one or the other as the fuzzer says. Invariants: a frame
// handed out is within the limit and has a clear tail only if flagged; the tail due never exceeds
// a frame; once failed, both calls stay failed. A second decoder takes each clear piece where it
// lies in a read buffer, with room before it (consume_clear with headroom, which may join the frame
// there): it hands out the same frames with the same results, and writes nothing before its room.
static int consume_with_clear_tails(butter::fuzz::Input& in, std::size_t max_frame) {
  FrameDecoder dec(max_frame), joined(max_frame);
  bool failed = false;
  std::vector<Frame> got, got_joined;
  for (auto piece = in.piece(300); !piece.empty(); piece = in.piece(300)) {
    const bool clear = in.flag();
    auto on_frame = [&](const FrameView& f) {
      FUZZ_CHECK(!failed);
      FUZZ_CHECK(kFrameHeaderRest + f.protocol.size() + f.payload.size() <= max_frame);
      FUZZ_CHECK(f.flags == 0 || f.flags == kFrameFlagClearTail);
      got.push_back(f.to_frame());
      return true;
    };
    auto on_joined = [&](const FrameView& f) {
      got_joined.push_back(f.to_frame());
      return true;
    };
    const auto st = clear ? dec.consume_clear(piece, on_frame) : dec.consume(piece, on_frame);
    FrameDecoder::Status st_joined;
    if (clear) {
      // [guard][room][piece]: the room is the piece's first byte mod 96, so no input is spent on it.
      constexpr std::size_t kGuard = 16;
      const std::size_t room = piece[0] % 96;
      std::vector<std::uint8_t> read(kGuard + room, std::uint8_t{0x5A});
      read.insert(read.end(), piece.begin(), piece.end());
      st_joined = joined.consume_clear(std::span<std::uint8_t>(read).subspan(kGuard + room), room, on_joined);
      for (std::size_t i = 0; i < kGuard; ++i) FUZZ_CHECK(read[i] == 0x5A);
    } else {
      st_joined = joined.consume(piece, on_joined);
    }
    FUZZ_CHECK(st == st_joined);
    FUZZ_CHECK(got == got_joined);
    if (failed) FUZZ_CHECK(st == FrameDecoder::Status::kError);
    if (st == FrameDecoder::Status::kError) {
      FUZZ_CHECK(!dec.error().empty());
      FUZZ_CHECK(dec.error() == joined.error());
      failed = true;
    }
    FUZZ_CHECK(dec.clear_due() <= max_frame);
    FUZZ_CHECK(dec.clear_due() == joined.clear_due());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  butter::fuzz::Input in(data, size);
  static constexpr std::size_t kLimits[] = {kFrameHeaderRest, 64, 300, 4096, kDefaultMaxFrameBytes};
  // One value picks the limit and, above the limits' count, the path with clear tails (so the
  // seeds written before that path existed keep their meaning).
  const std::size_t sel = in.range(0, 2 * std::size(kLimits) - 1);
  const std::size_t max_frame = kLimits[sel % std::size(kLimits)];
  if (sel >= std::size(kLimits)) return consume_with_clear_tails(in, max_frame);

  FrameDecoder dec(max_frame);
  std::vector<std::uint8_t> stream;  // everything fed so far
  std::size_t consumed = 0;          // bytes of `stream` taken out as frames
  bool failed = false;
  for (auto piece = in.piece(200); !piece.empty(); piece = in.piece(200)) {
    stream.insert(stream.end(), piece.begin(), piece.end());
    dec.feed(piece);
    for (;;) {
      FrameView v;
      const auto st = dec.next(v);
      if (st == FrameDecoder::Status::kNeedMore) {
        FUZZ_CHECK(!failed);
        FUZZ_CHECK(dec.buffered() == stream.size() - consumed);
        break;
      }
      if (st == FrameDecoder::Status::kError) {
        FUZZ_CHECK(!dec.error().empty());
        failed = true;
        break;
      }
      FUZZ_CHECK(!failed);
      const Frame f = v.to_frame();
      const auto again = encode_frame(f);
      FUZZ_CHECK(again.size() <= stream.size() - consumed);
      FUZZ_CHECK(std::memcmp(again.data(), stream.data() + consumed, again.size()) == 0);
      FUZZ_CHECK(again.size() - kFrameLengthBytes <= max_frame);
      if (consumed == 0) {
        std::string why;
        auto one = decode_frame(std::span<const std::uint8_t>(again), why, max_frame);
        FUZZ_CHECK(one && *one == f);
      }
      consumed += again.size();
    }
    if (failed) {
      FrameView v;
      FUZZ_CHECK(dec.next(v) == FrameDecoder::Status::kError);
    }
  }
  std::string why;
  (void)decode_frame(std::span<const std::uint8_t>(stream), why, max_frame);
  return 0;
}
