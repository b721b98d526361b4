// The /butter/pcg/1 codec: round trips, and every malformed message refused without a crash.
#include "messages.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace butter::pcg;

namespace {
View sample_view() {
  View v;
  v.version = 7;
  v.add(Member{sha256("a"), {"tcp://127.0.0.1:7000"}});
  v.add(Member{sha256("b"), {}});
  v.add(Member{sha256("c"), {"tcp://198.18.0.12:7700", "tcp://127.0.0.1:7701"}});
  return v;
}

std::vector<Message> samples() {
  std::vector<Message> out;
  Message hb;
  hb.type = MsgType::Heartbeat;
  hb.entries.push_back(HeartbeatEntry{sha256("o1"), true, sample_view()});
  hb.entries.push_back(HeartbeatEntry{sha256("o2"), false, View{}});
  out.push_back(hb);
  Message v;
  v.type = MsgType::ViewUpdate;
  v.object = sha256("o");
  v.view = sample_view();
  out.push_back(v);
  Message r = v;
  r.type = MsgType::Recruit;
  r.manifest = {1, 2, 3, 4, 5};
  out.push_back(r);
  r.sponsor = sha256("sponsor");
  out.push_back(r);
  Message a;
  a.type = MsgType::RecruitAck;
  a.object = sha256("o");
  a.number = 9;
  a.status = -6;
  a.reason = "storage budget exceeded";
  out.push_back(a);
  Message f;
  f.type = MsgType::Fetch;
  f.object = sha256("o");
  f.index = 3;
  out.push_back(f);
  Message b;
  b.type = MsgType::Block;
  b.object = sha256("o");
  b.index = 3;
  b.data = {9, 8, 7};
  out.push_back(b);
  Message l;
  l.type = MsgType::Locate;
  l.object = sha256("o");
  l.number = 42;
  out.push_back(l);
  Message ld = l;
  ld.type = MsgType::Located;
  ld.view = sample_view();
  ld.manifest = {4, 4};
  out.push_back(ld);
  Message h;
  h.type = MsgType::Have;
  h.object = sha256("o");
  h.number = 5;
  out.push_back(h);
  Message c;
  c.type = MsgType::Challenge;
  c.object = sha256("o");
  c.number = 0xfedcba9876543210ull;
  c.index = 2;
  c.offset = 100;
  c.length = 600;
  c.mode = 0;
  out.push_back(c);
  Message whole = c;
  whole.offset = whole.length = 0;
  whole.mode = 1;
  out.push_back(whole);
  Message p;
  p.type = MsgType::Proof;
  p.object = sha256("o");
  p.number = c.number;
  p.status = 0;
  p.data.assign(32, 0x5a);
  out.push_back(p);
  return out;
}
}  // namespace

TEST_CASE("every message type round trips") {
  for (const auto& m : samples()) {
    INFO(type_name(m.type));
    auto bytes = encode(m);
    std::string why;
    auto d = decode(bytes, why);
    INFO(why);
    REQUIRE(d);
    CHECK(d->type == m.type);
    CHECK(encode(*d) == bytes);
  }
}

TEST_CASE("every truncation and any trailing byte is refused") {
  for (const auto& m : samples()) {
    INFO(type_name(m.type));
    auto bytes = encode(m);
    std::string why;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
      CHECK_FALSE(decode(cut, why));
    }
    bytes.push_back(0);
    CHECK_FALSE(decode(bytes, why));
    CHECK(why.find("trailing") != std::string::npos);
  }
}

TEST_CASE("unknown versions and types and unsorted views are refused") {
  std::string why;
  CHECK_FALSE(decode(std::vector<std::uint8_t>{2, 1, 0, 0}, why));
  CHECK_FALSE(decode(std::vector<std::uint8_t>{1, 77}, why));
  CHECK(why.find("unknown message type") != std::string::npos);
  Message v;
  v.type = MsgType::ViewUpdate;
  v.view = sample_view();
  std::swap(v.view.members[0], v.view.members[1]);
  CHECK_FALSE(decode(encode(v), why));
  CHECK(why.find("sorted") != std::string::npos);
}

TEST_CASE("a challenge with an impossible range or an unknown mode is refused") {
  Message c;
  c.type = MsgType::Challenge;
  c.object = sha256("o");
  c.number = 1;
  std::string why;
  auto refused = [&](std::uint32_t offset, std::uint32_t length, std::uint8_t mode) {
    c.offset = offset;
    c.length = length;
    c.mode = mode;
    why.clear();
    return !decode(encode(c), why) && !why.empty();
  };
  CHECK(refused(0, 0, 0));                   // empty range
  CHECK(refused(0, kMaxBlockBytes + 1, 0));  // longer than any block
  CHECK(refused(kMaxBlockBytes, 1, 0));      // past the largest block
  CHECK(refused(0xffffffffu, 2, 0));         // offset + length overflows
  CHECK(refused(0, 10, 1));                  // whole block with a range
  CHECK(refused(0, 10, 2));                  // unknown mode
  CHECK(why.find("mode") != std::string::npos);
  CHECK_FALSE(refused(kMaxBlockBytes - 1, 1, 0));  // the last byte of the largest block
  CHECK_FALSE(refused(0, 0, 1));
  // A proof longer than a block is refused.
  Message p;
  p.type = MsgType::Proof;
  p.data.assign(kMaxBlockBytes + 1, 0);
  CHECK_FALSE(decode(encode(p), why));
}

TEST_CASE("random bytes never crash the decoder") {
  std::mt19937 rng(7);
  std::string why;
  for (int i = 0; i < 5000; ++i) {
    std::vector<std::uint8_t> junk(rng() % 300);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    if (!junk.empty()) junk[0] = 1;  // get past the version byte most of the time
    if (junk.size() > 1) junk[1] = static_cast<std::uint8_t>(1 + rng() % (kMsgTypes - 1));
    (void)decode(junk, why);
  }
  SUCCEED();
}

TEST_CASE("encoded_size counts what encode writes for every message type") {
  auto all = samples();
  // A view with an endpoint too long to send and more endpoints than are sent: both left out.
  Message ld;
  ld.type = MsgType::Located;
  ld.object = sha256("o");
  ld.view = sample_view();
  ld.view.members[0].endpoints = {std::string(kMaxEndpointLen + 1, 'x'), "a", "b", "c", "d", "e"};
  ld.manifest.assign(5000, 7);
  all.push_back(ld);
  for (const auto& m : all) {
    INFO(type_name(m.type));
    CHECK(encoded_size(m) == encode(m).size());
  }
}
