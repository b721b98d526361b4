// Seeds of the pcg-storage fuzz target: one message of each type and a manifest, valid and
// near-valid. The last byte picks the decoder (odd: manifest). See fuzz/seed_writer.hpp.
#include "../seed_writer.hpp"
#include "blocks.hpp"
#include "messages.hpp"

using namespace butter::pcg;
using namespace butter::fuzz::seeds;

namespace {

View view() {
  View v;
  v.version = 7;
  Member a, b;
  a.id.fill(0x11);
  a.endpoints = {"tcp://127.0.0.1:7700"};
  b.id.fill(0x22);
  b.endpoints = {"tcp://[::1]:7701", "relay://x@/y"};
  v.add(a);
  v.add(b);
  return v;
}

void generate() {
  const std::string t = "pcg-storage";
  Hash obj;
  obj.fill(0xab);
  auto msg = [&](MsgType type) {
    Message m;
    m.type = type;
    m.object = obj;
    m.view = view();
    m.number = 99;
    m.index = 3;
    m.status = -2;
    m.reason = "full";
    m.manifest = bytes("PCGM manifest bytes");
    m.data = bytes("block data");
    if (type == MsgType::Heartbeat) m.entries = {HeartbeatEntry{obj, true, view()}, HeartbeatEntry{obj, false, View{}}};
    if (type == MsgType::Challenge) {
      m.offset = 16;
      m.length = 512;
    }
    if (type == MsgType::Proof) m.data.assign(32, 0x77);
    return m;
  };
  for (int i = 1; i < kMsgTypes; ++i) {
    auto m = msg(static_cast<MsgType>(i));
    write(t, std::string("msg-") + type_name(m.type), cat(encode(m), {0}));
  }
  Message sponsored = msg(MsgType::Recruit);  // a recruit naming the object's original sponsor
  sponsored.sponsor = obj;
  write(t, "msg-recruit-sponsor", cat(encode(sponsored), {0}));
  Bytes bad = encode(msg(MsgType::Fetch));
  bad.push_back(0);  // trailing byte
  write(t, "msg-trailing", cat(bad, {0}));
  Message whole = msg(MsgType::Challenge);
  whole.mode = 1;
  whole.offset = whole.length = 0;
  write(t, "msg-challenge-whole-block", cat(encode(whole), {0}));
  Bytes bad_range = encode(msg(MsgType::Challenge));
  bad_range[bad_range.size() - 5] = 0;  // length 0: refused
  bad_range[bad_range.size() - 4] = 0;
  bad_range[bad_range.size() - 3] = 0;
  bad_range[bad_range.size() - 2] = 0;
  write(t, "msg-challenge-empty-range", cat(bad_range, {0}));
  Bytes unknown = encode(msg(MsgType::Have));
  unknown[1] = 42;
  write(t, "msg-unknown-type", cat(unknown, {0}));

  std::string why;
  Bytes data(3000, 0x5a);
  if (auto s = split(data, 1024, {"alpha", "beta"}, why)) {
    write(t, "manifest", cat(s->manifest_bytes, {1}));
    Bytes wrong = s->manifest_bytes;
    wrong[5 + 7] ^= 0x01;  // size no longer matches the block count
    write(t, "manifest-bad-size", cat(wrong, {1}));
  }
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv, generate); }
