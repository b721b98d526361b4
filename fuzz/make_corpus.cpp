// Writes the seed corpora of fuzz/corpus/<target>/ from the real encoders: small valid inputs and
// near-valid ones (one field wrong). Run it after a wire format changes:
//   build-fuzz/bin/fuzz-make-corpus fuzz/corpus
//
// Targets that feed a stream in pieces read the piece sizes (and their mode) from the END of the
// input (see fuzz_support.hpp); Tail below writes those bytes so that a
// seed replays exactly as intended.
#include "beacon.hpp"
#include "det_random.hpp"
#include "manifest/manifest.hpp"
#include "quality_message.hpp"
#include "seed_writer.hpp"
#include "transport/frame.hpp"
#include "transport/hello.hpp"
#include "transport/secure_channel.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace dr = butter::fuzz::det_random;
using namespace butter::host;
using namespace butter::fuzz::seeds;

namespace {

Frame frame(FrameType t, std::string proto, std::string payload, std::uint64_t rid = 0, std::int32_t status = 0) {
  Frame f;
  f.type = t;
  f.protocol = std::move(proto);
  f.payload = bytes(payload);
  f.request_id = rid;
  f.status = status;
  return f;
}

NodeId node_id(std::uint8_t fill) {
  NodeId id;
  id.bytes.fill(fill);
  return id;
}

// ---- frame: [selector of the max frame size][pieces] ----
void frames() {
  Hello h{kTransportProtocolVersion, node_id(7), {"tcp://127.0.0.1:7700"}};
  const Bytes hello = encode_frame(Frame{FrameType::kHello, 0, 0, 0, "", encode_hello(h)});
  const Bytes req = encode_frame(frame(FrameType::kRequest, "/butter/echo/1", "ping", 42));
  const Bytes resp = encode_frame(frame(FrameType::kResponse, "", "pong", 42));
  const Bytes err = encode_frame(frame(FrameType::kResponse, "", "no handler", 43, -3));
  const Bytes one = encode_frame(frame(FrameType::kOneway, "/butter/knownhosts/1", ""));
  auto seed = [](const std::string& name, const Bytes& stream, std::size_t limit_sel,
                 std::initializer_list<std::size_t> sizes) {
    Tail t;
    t.add(limit_sel, 0, 4);
    t.pieces(stream, 200, sizes);
    write("frame", name, t.input(stream));
  };
  seed("hello", hello, 4, {200});
  seed("request", req, 4, {7, 13});
  seed("response-error", err, 3, {1});
  seed("oneway-empty", one, 2, {200});
  seed("conversation", cat(cat(cat(hello, req), resp), one), 4, {3, 50, 1, 90});
  seed("request-over-limit", req, 1, {200});
  Bytes bad_type = req;
  bad_type[4] = 9;
  seed("bad-type", bad_type, 4, {200});
  Bytes bad_flags = req;
  bad_flags[5] = 0x80;
  seed("bad-flags", bad_flags, 4, {5, 200});
  {
    // The clear-tail path (frame_fuzz.cpp's consume_with_clear_tails): a flagged frame's sealed
    // part as plain bytes, its tail as a clear piece, then an ordinary frame.
    const Bytes tail(40, 0x5a);
    Bytes sealed = encode_frame_head(FrameType::kOneway, 0, 0, "/t/1", 3 + tail.size(), tail.size());
    sealed.insert(sealed.end(), {1, 2, 3});
    Bytes stream = sealed;
    stream.insert(stream.end(), tail.begin(), tail.end());
    stream.insert(stream.end(), one.begin(), one.end());
    Tail t;
    t.add(4 + 5, 0, 9);
    for (auto [n, clear] : {std::pair{sealed.size(), 0}, {tail.size(), 1}, {one.size(), 0}}) {
      t.add(n, 1, 300);
      t.add(static_cast<std::uint64_t>(clear), 0, 255);
    }
    write("frame", "clear-tail", t.input(stream));
  }
  Bytes long_proto = req;
  long_proto[6] = 0x01;
  long_proto[7] = 0x01;  // 257 > 256
  seed("protocol-too-long", long_proto, 4, {200});
  Bytes overrun = resp;
  overrun[7] = 60;  // protocol longer than the frame
  seed("protocol-overruns", overrun, 4, {200});
  seed("truncated", Bytes(req.begin(), req.end() - 3), 4, {200});
  Bytes bad_utf8 = encode_frame(frame(FrameType::kOneway, "/x\xc3", ""));
  seed("protocol-not-utf8", bad_utf8, 4, {200});
}

// ---- hello: the payload alone ----
void hellos() {
  write("hello", "no-endpoints", encode_hello(Hello{1, node_id(1), {}}));
  write("hello", "two-endpoints", encode_hello(Hello{1, node_id(2), {"tcp://127.0.0.1:7700", "relay://ab12/cd34"}}));
  std::vector<std::string> many;
  for (int i = 0; i < 16; ++i) many.push_back("tcp://[::1]:" + std::to_string(7000 + i));
  write("hello", "sixteen-endpoints", encode_hello(Hello{1, node_id(3), many}));
  Bytes v2 = encode_hello(Hello{1, node_id(4), {}});
  v2[1] = 2;
  write("hello", "version-2", v2);
  Bytes seventeen = encode_hello(Hello{1, node_id(5), {"tcp://a:1"}});
  seventeen[34] = 17;
  write("hello", "seventeen-endpoints", seventeen);
  Bytes trailing = encode_hello(Hello{1, node_id(6), {"tcp://a:1"}});
  trailing.push_back(0);
  write("hello", "trailing-byte", trailing);
  Bytes zero_len = encode_hello(Hello{1, node_id(8), {"tcp://a:1"}});
  zero_len[35] = 0;
  zero_len[36] = 0;
  write("hello", "empty-endpoint", zero_len);
}

// ---- secure-channel ----
struct Transcript {
  Bytes from_initiator, from_responder;
};

std::shared_ptr<const Identity> identity(std::uint8_t fill) {
  std::uint8_t seed[32];
  std::fill(std::begin(seed), std::end(seed), fill);
  return std::make_shared<const Identity>(Identity::from_seed(std::span<const std::uint8_t, 32>(seed, 32)));
}

// A genuine handshake and one record each way, with the streams the target uses.
Transcript genuine() {
  dr::Stream irng, rrng;
  irng.reset(dr::kInitiatorStream);
  rrng.reset(dr::kResponderStream);
  SecureChannel ini(identity(dr::kInitiatorKeySeed), true, false);
  SecureChannel resp(identity(dr::kResponderKeySeed), false, false);
  Transcript t;
  Bytes to_r, to_i, plain;
  dr::use(irng);
  to_r = ini.start();
  dr::use(rrng);
  to_i = resp.start();
  t.from_initiator = to_r;
  t.from_responder = to_i;
  to_i.clear();
  dr::use(rrng);
  resp.feed(to_r, to_i, plain);  // m1 -> m2
  t.from_responder = cat(t.from_responder, to_i);
  to_r.clear();
  dr::use(irng);
  ini.feed(t.from_responder, to_r, plain);  // preamble, m2 -> m3
  ini.seal(bytes("hello responder"), to_r);
  t.from_initiator = cat(t.from_initiator, to_r);
  to_i.clear();
  dr::use(rrng);
  resp.feed(to_r, to_i, plain);
  if (!ini.established() || !resp.established() || plain != bytes("hello responder")) {
    std::fprintf(stderr, "make_corpus: the genuine handshake did not complete: %s / %s\n", ini.error().c_str(),
                 resp.error().c_str());
    std::exit(1);
  }
  resp.seal(bytes("hello initiator"), t.from_responder);
  return t;
}

void secure_channel() {
  dr::install();
  const Transcript t = genuine();
  auto one_side = [](const std::string& name, int mode, const Bytes& stream, std::initializer_list<std::size_t> sizes) {
    Tail tail;
    tail.add(mode, 0, 3);
    tail.pieces(stream, 256, sizes);
    write("secure-channel", name, tail.input(stream));
  };
  one_side("responder-genuine", 0, t.from_initiator, {256});
  one_side("responder-genuine-pieces", 0, t.from_initiator, {1, 9, 40});
  one_side("initiator-genuine", 1, t.from_responder, {256});
  one_side("initiator-genuine-pieces", 1, t.from_responder, {5, 77});
  Bytes tampered = t.from_initiator;
  tampered[tampered.size() - 3] ^= 1;  // the last record's tag
  one_side("responder-tampered-record", 0, tampered, {256});
  Bytes old_version = t.from_initiator;
  old_version[4] = 2;
  one_side("responder-version-2", 0, old_version, {256});
  Bytes plain_mode = t.from_responder;
  plain_mode[5] = 1;
  one_side("initiator-peer-plaintext", 1, plain_mode, {256});
  Bytes huge = Bytes(t.from_initiator.begin(), t.from_initiator.begin() + 8);
  huge.push_back(0xff);
  huge.push_back(0xff);
  one_side("responder-huge-handshake", 0, huge, {256});

  // mode 2: plaintext
  {
    const Bytes stream = cat(Bytes{'B', 'U', 'T', 'R', 1, 1, 0, 0}, bytes("plain application bytes"));
    Tail tail;
    tail.add(2, 0, 3);
    tail.add(1, 0, 255);  // Input::flag(): initiator
    tail.pieces(stream, 64, {3, 64});
    write("secure-channel", "plaintext", tail.input(stream));
  }
  // mode 3: a pair, with and without a flipped byte
  auto pair = [](const std::string& name, std::vector<std::array<std::uint64_t, 3>> flips) {
    const Bytes a = bytes("from the initiator"), b = bytes("from the responder");
    Tail tail;
    tail.add(3, 0, 3);
    tail.add(flips.size(), 0, 3);
    for (auto& f : flips) {
      tail.add(f[0], 0, 255);
      tail.add(f[1], 0, 1023);
      tail.add(f[2], 0, 255);
    }
    tail.add(a.size(), 0, 300);
    // The tail is consumed before the front: a then b (the remaining bytes).
    write("secure-channel", name, tail.input(cat(a, b)));
  };
  pair("pair-clean", {});
  pair("pair-flip-message1", {{{1, 20, 0x01}}});
  pair("pair-flip-message2", {{{0, 60, 0x80}}});
  pair("pair-flip-reserved", {{{1, 6, 0xff}}});
}

// ---- manifest: TOML text ----
void manifests() {
  write("manifest", "default.toml", std::string(default_manifest_text()));
  write("manifest", "wired.toml", std::string(R"([node]
name = "alice"
listen = ["tcp://127.0.0.1:7700", "tcp://[::1]:7701"]
http = "127.0.0.1:8700"
memory_budget = "64MiB"
data_dir = ""
log_level = "debug"
plugin_path = ["../plugins"]
bootstrap = ["tcp://127.0.0.1:7001", "relay://abc/def"]
max_frame_bytes = 1048576

[plugins.store]
plugin = "butter.storage.pcg"
[plugins.store.config]
id = "s"
provides = ["butter.storage/1"]
requires = ["butter.peers/1"]
count = 3
ratio = 0.5

[plugins.peers]
file = "peers.so"
enabled = true
[plugins.peers.config]
id = "p"
provides = ["butter.peers/1"]
enabled_feature = false
)"));
  write("manifest", "cycle.toml", std::string(R"([plugins.a]
plugin = "x.a"
config = { id = "a", provides = ["i.a/1"], requires = ["i.b/1"] }
[plugins.b]
plugin = "x.b"
config = { id = "b", provides = ["i.b/1"], requires = ["i.a/1"] }
[plugins.c]
plugin = "x.c"
config = { id = "c", provides = ["i.a/1"], requires = ["i.missing/1"] }
)"));
  write("manifest", "errors.toml", std::string(R"([node]
name = 5
listen = "tcp://127.0.0.1:7700"
http = "localhost"
memory_budget = "12 parsecs"
lsiten = []
[plugins.x]
plugin = "a"
file = "b.so"
[plugins.x.config]
count = "three"
unknown_key = 1
[plugins."quoted name"]
enabled = "yes"
)"));
  write("manifest", "syntax-error.toml", std::string("[node\nname = \"unterminated\n"));
}

// ---- endpoint: address text ----
void endpoints() {
  const char* seeds[] = {
      "tcp://127.0.0.1:7700", "tcp://[::1]:0",    "TCP://localhost:65535",
      "relay://ab12/cd34",    "tcp://host:65536", "tcp://[::1]7",
      "127.0.0.1:8700",       "[::1]:8080",       "::1:8080",
      "tcp://a b:1",          "x+y.z-w://r",      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
      "TCP://localho//loca35"};  // found by fuzzing: the manifest passed it, the transport refused it
  int i = 0;
  for (const char* s : seeds) write("endpoint", "seed-" + std::to_string(i++), std::string(s));
}

// ---- http-request: [pieces] ----
void http_requests() {
  auto seed = [](const std::string& name, const std::string& text, std::initializer_list<std::size_t> sizes) {
    const Bytes stream = bytes(text);
    Tail t;
    t.pieces(stream, 128, sizes);
    write("http-request", name, t.input(stream));
  };
  seed("get-status", "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", {128});
  seed("post-body", "POST /wiki/page?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", {10, 3});
  seed("chunked", "PUT /wiki/a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\n\r\n", {128});
  seed("pipelined", "GET /metrics HTTP/1.1\r\n\r\nDELETE /status HTTP/1.1\r\n\r\nGET /x#f HTTP/1.0\r\n\r\n", {17});
  seed("expect-continue", "POST /wiki HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok", {128});
  seed("too-large", "POST / HTTP/1.1\r\nContent-Length: 999999\r\n\r\nabc", {128});
  seed("absolute-form", "GET http://h:1/wiki/x HTTP/1.1\r\n\r\n", {128});
  seed("bad-version", "GET / HTTP/9.9\r\n\r\n", {128});
}

// ---- plugins ----
void knownhosts() {
  using namespace butter::knownhosts;
  QualityRequest r;
  r.quality = {3600, 1 << 30, 12};
  r.endpoints = {"tcp://127.0.0.1:7700", "relay://x/y"};
  write("knownhosts-quality", "request", cat(encode_request(r), {1}));
  write("knownhosts-quality", "request-no-endpoints", cat(encode_request(QualityRequest{}), {1}));
  write("knownhosts-quality", "response", cat(encode_response(r.quality), {0}));
  Bytes bad = encode_request(r);
  bad[0] = 3;  // versions 1 and 2 are both valid
  write("knownhosts-quality", "request-version-3", cat(bad, {1}));
  Bytes not_uri = encode_request(r);
  not_uri[not_uri.size() - 6] = '_';  // "relay://x/y" -> no "://"
  write("knownhosts-quality", "request-not-uri", cat(not_uri, {1}));
}

void discovery() {
  using namespace butter::discovery;
  Beacon b;
  b.kind = BeaconKind::Ping;
  b.cold = true;
  b.node_id = std::string(62, 'a') + "01";
  b.hosts_known = 3;
  b.endpoints = {"tcp://127.0.0.1:7700"};
  write("discovery-multicast", "ping", encode_beacon(b));
  b.kind = BeaconKind::Pong;
  b.cold = false;
  b.endpoints = {"tcp://127.0.0.1:7700", "tcp://[::1]:7700"};
  write("discovery-multicast", "pong", encode_beacon(b));
  b.kind = BeaconKind::Announce;
  b.endpoints.clear();
  write("discovery-multicast", "announce", encode_beacon(b));
  Bytes kind = encode_beacon(b);
  kind[5] = 4;
  write("discovery-multicast", "unknown-kind", kind);
  Bytes trailing = encode_beacon(b);
  trailing.push_back(1);
  write("discovery-multicast", "trailing", trailing);
}

void all() {
  frames();
  hellos();
  secure_channel();
  manifests();
  endpoints();
  http_requests();
  knownhosts();
  discovery();
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv, all); }
