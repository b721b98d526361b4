// Frame codec: round trips (whole and byte by byte) and every way a frame can be refused.
#include <butter/wire.hpp>
#include "transport/frame.hpp"

#include <catch2/catch.hpp>

using namespace butter::host;

static Frame sample(FrameType type = FrameType::kRequest) {
  Frame f;
  f.type = type;
  f.request_id = 0x0102030405060708ull;
  f.status = type == FrameType::kResponse ? -8 : 0;
  f.protocol = type == FrameType::kRequest || type == FrameType::kOneway ? "/butter/échange/1" : "";
  for (int i = 0; i < 1000; ++i) f.payload.push_back(static_cast<std::uint8_t>(i * 7));
  return f;
}

static FrameDecoder::Status decode_all(FrameDecoder& d, std::vector<Frame>& out) {
  FrameView v;
  for (;;) {
    auto s = d.next(v);
    if (s != FrameDecoder::Status::kFrame) return s;
    out.push_back(v.to_frame());
  }
}

TEST_CASE("frame round trips for every type", "[frame]") {
  for (auto t : {FrameType::kHello, FrameType::kRequest, FrameType::kResponse, FrameType::kOneway}) {
    auto f = sample(t);
    auto bytes = encode_frame(f);
    REQUIRE(bytes.size() == kFrameHeaderBytes + f.protocol.size() + f.payload.size());
    REQUIRE(butter::wire::get_u32(bytes.data()) == bytes.size() - 4);
    std::string err;
    auto back = decode_frame(bytes, err);
    INFO(err);
    REQUIRE(back);
    CHECK(*back == f);
  }
}

TEST_CASE("frame with empty payload round trips", "[frame]") {
  Frame f;
  f.type = FrameType::kOneway;
  f.protocol = "/p";
  std::string err;
  auto back = decode_frame(encode_frame(f), err);
  REQUIRE(back);
  CHECK(*back == f);
}

TEST_CASE("decoder accepts frames fed byte by byte", "[frame]") {
  std::vector<std::uint8_t> stream;
  std::vector<Frame> sent;
  for (auto t : {FrameType::kRequest, FrameType::kOneway, FrameType::kResponse}) {
    sent.push_back(sample(t));
    auto b = encode_frame(sent.back());
    stream.insert(stream.end(), b.begin(), b.end());
  }
  FrameDecoder d;
  std::vector<Frame> got;
  for (auto byte : stream) {
    d.feed(std::span<const std::uint8_t>(&byte, 1));
    REQUIRE(decode_all(d, got) == FrameDecoder::Status::kNeedMore);
  }
  CHECK(got == sent);
  CHECK(d.buffered() == 0);
}

TEST_CASE("decoder accepts frames in uneven chunks", "[frame]") {
  std::vector<std::uint8_t> stream;
  std::vector<Frame> sent;
  for (int i = 0; i < 20; ++i) {
    auto f = sample(i % 2 ? FrameType::kRequest : FrameType::kResponse);
    f.request_id = static_cast<std::uint64_t>(i);
    f.payload.resize(static_cast<std::size_t>(i * 37));
    sent.push_back(f);
    auto b = encode_frame(f);
    stream.insert(stream.end(), b.begin(), b.end());
  }
  FrameDecoder d;
  std::vector<Frame> got;
  std::size_t off = 0, chunk = 1;
  while (off < stream.size()) {
    std::size_t n = std::min(chunk, stream.size() - off);
    d.feed(std::span<const std::uint8_t>(stream.data() + off, n));
    off += n;
    chunk = chunk * 3 % 101 + 1;
    REQUIRE(decode_all(d, got) == FrameDecoder::Status::kNeedMore);
  }
  CHECK(got == sent);
}

static std::string decode_error(std::vector<std::uint8_t> bytes, std::size_t max = kDefaultMaxFrameBytes) {
  FrameDecoder d(max);
  d.feed(bytes);
  std::vector<Frame> got;
  auto s = decode_all(d, got);
  return s == FrameDecoder::Status::kError ? d.error() : std::string("no error");
}

TEST_CASE("oversized frame is refused from its length alone", "[frame]") {
  std::vector<std::uint8_t> b(4);
  butter::wire::put_u32(b.data(), 99999999);
  CHECK(decode_error(b) == "frame of 99999999 bytes exceeds the 16777216-byte limit");
  auto f = sample();
  CHECK(decode_error(encode_frame(f), 100) == "frame of 1034 bytes exceeds the 100-byte limit");
}

TEST_CASE("truncated input is reported as such", "[frame]") {
  std::string err;
  auto b = encode_frame(sample());
  CHECK_FALSE(decode_frame(std::span<const std::uint8_t>(b.data(), 10), err));
  CHECK(err == "truncated header");
  CHECK_FALSE(decode_frame(std::span<const std::uint8_t>(b.data(), b.size() - 1), err));
  CHECK(err == "truncated frame");
  // A length too short to hold the header is a truncated header even in a stream.
  std::vector<std::uint8_t> shortlen(20);
  butter::wire::put_u32(shortlen.data(), 3);
  CHECK(decode_error(shortlen).rfind("truncated header", 0) == 0);
}

TEST_CASE("unknown type bad flags and bad protocol ids are refused", "[frame]") {
  auto b = encode_frame(sample());
  auto bad = b;
  bad[4] = 9;
  CHECK(decode_error(bad) == "unknown frame type 9");
  bad = b;
  bad[4] = 0;
  CHECK(decode_error(bad) == "unknown frame type 0");
  bad = b;
  bad[5] = 0x80;
  CHECK(decode_error(bad) == "frame flags 0x80 have unknown bits");

  Frame f = sample();
  f.protocol = "";
  CHECK(decode_error(encode_frame(f)) == "REQUEST frame without a protocol id");
  f.type = FrameType::kOneway;
  CHECK(decode_error(encode_frame(f)) == "ONEWAY frame without a protocol id");
  f.protocol = "\xff\xfe";
  CHECK(decode_error(encode_frame(f)) == "protocol id is not valid UTF-8 text");
  f.protocol = std::string(257, 'p');
  CHECK(decode_error(encode_frame(f)) == "protocol id of 257 bytes exceeds the 256-byte limit");
  // Protocol length pointing past the end of the frame.
  bad = b;
  butter::wire::put_u16(bad.data() + 6, 200);
  butter::wire::put_u32(bad.data(), 16 + 10);
  CHECK(decode_error(bad) == "protocol id of 200 bytes overruns a frame of 26 bytes");
}

TEST_CASE("garbage is refused and the decoder stays failed", "[frame]") {
  std::vector<std::uint8_t> garbage = {'G', 'E', 'T', ' ', '/', ' ', 'H',  'T',
                                       'T', 'P', '/', '1', '.', '1', '\r', '\n'};
  FrameDecoder d;
  d.feed(garbage);
  FrameView v;
  REQUIRE(d.next(v) == FrameDecoder::Status::kError);
  CHECK(d.error() == "frame of 1195725856 bytes exceeds the 16777216-byte limit");
  d.feed(encode_frame(sample()));
  CHECK(d.next(v) == FrameDecoder::Status::kError);
}

TEST_CASE("check_outgoing refuses what the decoder would refuse", "[frame]") {
  CHECK(check_outgoing(FrameType::kRequest, "/p", 10, 1000).empty());
  CHECK(check_outgoing(FrameType::kRequest, "", 10, 1000) == "REQUEST frame without a protocol id");
  CHECK(check_outgoing(FrameType::kResponse, "", 10, 1000).empty());
  CHECK(check_outgoing(FrameType::kOneway, "/p", 1000, 1000) == "frame of 1018 bytes exceeds the 1000-byte limit");
}

TEST_CASE("encode_frame_head leaves the payload out", "[frame]") {
  auto head = encode_frame_head(FrameType::kOneway, 7, 0, "/x", 5);
  REQUIRE(head.size() == kFrameHeaderBytes + 2);
  CHECK(butter::wire::get_u32(head.data()) == 16 + 2 + 5);
  CHECK(butter::wire::get_u64(head.data() + 8) == 7);
}
