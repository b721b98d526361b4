// Fuzz target: the secure channel state machine (host/transport/secure_channel.*).
//
// Four modes, chosen by the last input byte:
//   0  a responder fed the input as the initiator's bytes, in fuzzer-chosen pieces;
//   1  an initiator, after start(), fed the input as the responder's bytes;
//   2  a plaintext-mode channel (either role) fed the input;
//   3  a genuine initiator/responder pair talking through a man in the middle that flips
//      fuzzer-chosen bytes, each side then sealing fuzzer-chosen application data.
// Random numbers come from fuzz/det_random.hpp, so a recorded genuine transcript (the seeds that
// fuzz/make_corpus.cpp writes) replays into a full handshake and real records.
// Invariants: a failed channel stays failed; a channel is established only with the peer whose
// key signed the handshake; in mode 3 each side receives a prefix of what the other sealed, and
// all of it when nothing was flipped; in mode 2 the bytes after the preamble pass unchanged.
#include "det_random.hpp"
#include "fuzz_support.hpp"
#include "transport/secure_channel.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

using namespace butter::host;
namespace dr = butter::fuzz::det_random;

namespace {

std::shared_ptr<const Identity> g_init_id, g_resp_id;
dr::Stream g_init_rng, g_resp_rng;
// BUTTER_FUZZ_TRACE=1: say how far each input got (to check that the seeds reach what they aim at).
const bool g_trace = std::getenv("BUTTER_FUZZ_TRACE") != nullptr;

void trace(const char* what, const SecureChannel& ch, std::size_t plain) {
  if (g_trace)
    std::fprintf(stderr, "trace: %s: %s, %zu plaintext bytes%s%s\n", what,
                 ch.established() ? "established"
                 : ch.failed()    ? "failed"
                                  : "pending",
                 plain, ch.failed() ? ": " : "", ch.error().c_str());
}

std::shared_ptr<const Identity> make_identity(std::uint8_t fill) {
  std::uint8_t seed[32];
  std::fill(std::begin(seed), std::end(seed), fill);
  return std::make_shared<const Identity>(Identity::from_seed(std::span<const std::uint8_t, 32>(seed, 32)));
}

bool is_prefix(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& of) {
  return a.size() <= of.size() && std::equal(a.begin(), a.end(), of.begin());
}

// Modes 0 and 1: one side, the fuzzer plays the other.
void one_side(butter::fuzz::Input& in, bool initiator) {
  auto& rng = initiator ? g_init_rng : g_resp_rng;
  rng.reset(initiator ? dr::kInitiatorStream : dr::kResponderStream);
  dr::use(rng);
  SecureChannel ch(initiator ? g_init_id : g_resp_id, initiator, false);
  (void)ch.start();
  std::vector<std::uint8_t> wire, plain;
  bool was_failed = false, was_established = false;
  for (auto piece = in.piece(256); !piece.empty(); piece = in.piece(256)) {
    const bool ok = ch.feed(piece, wire, plain);
    if (was_established) FUZZ_CHECK(ch.established() || ch.failed());
    was_established = was_established || ch.established();
    FUZZ_CHECK(ok == !ch.failed());
    if (was_failed) FUZZ_CHECK(!ok);
    was_failed = ch.failed();
    if (ch.failed()) FUZZ_CHECK(!ch.error().empty());
    if (ch.established()) {
      FUZZ_CHECK(ch.peer_id() && *ch.peer_id() == (initiator ? g_resp_id : g_init_id)->id());
      std::vector<std::uint8_t> out;
      FUZZ_CHECK(ch.seal(piece, out));
    }
    // Nothing is decrypted before the peer is authenticated (a piece may complete the handshake,
    // deliver records and then fail on a bad one: the channel is failed, the records were genuine).
    if (!ch.peer_id()) FUZZ_CHECK(plain.empty());
  }
  trace(initiator ? "initiator" : "responder", ch, plain.size());
}

// Mode 2: plaintext mode.
void plaintext(butter::fuzz::Input& in) {
  const bool initiator = in.flag();
  SecureChannel ch(nullptr, initiator, true);
  (void)ch.start();
  std::vector<std::uint8_t> fed, wire, plain;
  for (auto piece = in.piece(64); !piece.empty(); piece = in.piece(64)) {
    fed.insert(fed.end(), piece.begin(), piece.end());
    (void)ch.feed(piece, wire, plain);
    FUZZ_CHECK(wire.empty());
    if (ch.established()) {
      FUZZ_CHECK(!ch.peer_id());
      FUZZ_CHECK(fed.size() >= SecureChannel::kPreambleBytes);
      FUZZ_CHECK(plain.size() == fed.size() - SecureChannel::kPreambleBytes);
      FUZZ_CHECK(std::equal(plain.begin(), plain.end(), fed.begin() + SecureChannel::kPreambleBytes));
    } else {
      FUZZ_CHECK(plain.empty());
    }
  }
  trace("plaintext", ch, plain.size());
}

struct Flip {
  bool to_responder;
  std::size_t at;
  std::uint8_t mask;
};

// Mode 3: a genuine pair and a man in the middle.
void pair(butter::fuzz::Input& in) {
  std::vector<Flip> flips(in.range(0, 3));
  bool tampered = false;
  for (auto& f : flips) {
    f.to_responder = in.flag();
    f.at = in.range(0, 1023);
    f.mask = in.byte();
    tampered |= f.mask != 0;
  }
  const auto a = in.bytes(in.range(0, 300));
  const auto b = in.rest();

  g_init_rng.reset(dr::kInitiatorStream);
  g_resp_rng.reset(dr::kResponderStream);
  SecureChannel ini(g_init_id, true, false), resp(g_resp_id, false, false);
  dr::use(g_init_rng);
  auto to_r = ini.start();
  dr::use(g_resp_rng);
  auto to_i = resp.start();
  std::size_t off_r = 0, off_i = 0;  // bytes delivered so far in each direction
  std::vector<std::uint8_t> plain_r, plain_i;
  bool sealed_a = false, sealed_b = false;
  auto deliver = [&](std::vector<std::uint8_t>& bytes, std::size_t& off, bool to_responder, SecureChannel& dst,
                     dr::Stream& rng, std::vector<std::uint8_t>& reply, std::vector<std::uint8_t>& plain) {
    for (const auto& f : flips)
      if (f.to_responder == to_responder && f.at >= off && f.at < off + bytes.size()) bytes[f.at - off] ^= f.mask;
    off += bytes.size();
    dr::use(rng);
    if (!dst.failed()) (void)dst.feed(bytes, reply, plain);
    bytes.clear();
  };
  for (int round = 0; round < 8 && (!to_r.empty() || !to_i.empty() || !sealed_a || !sealed_b); ++round) {
    if (ini.established() && !sealed_a) {
      FUZZ_CHECK(ini.seal(a, to_r));
      sealed_a = true;
    }
    if (resp.established() && !sealed_b) {
      FUZZ_CHECK(resp.seal(b, to_i));
      sealed_b = true;
    }
    if (!to_r.empty()) deliver(to_r, off_r, true, resp, g_resp_rng, to_i, plain_r);
    if (!to_i.empty()) deliver(to_i, off_i, false, ini, g_init_rng, to_r, plain_i);
    if (ini.failed() && resp.failed()) break;
  }
  trace("pair initiator", ini, plain_i.size());
  trace("pair responder", resp, plain_r.size());
  FUZZ_CHECK(is_prefix(plain_r, a));
  FUZZ_CHECK(is_prefix(plain_i, b));
  if (ini.established()) FUZZ_CHECK(ini.peer_id() && *ini.peer_id() == g_resp_id->id());
  if (resp.established()) FUZZ_CHECK(resp.peer_id() && *resp.peer_id() == g_init_id->id());
  if (!tampered) {
    FUZZ_CHECK(ini.established() && resp.established());
    FUZZ_CHECK(plain_r == a && plain_i == b);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // host code logs every refusal
  dr::install();
  g_init_id = make_identity(dr::kInitiatorKeySeed);
  g_resp_id = make_identity(dr::kResponderKeySeed);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  butter::fuzz::Input in(data, size);
  switch (in.range(0, 3)) {
    case 0:
      one_side(in, false);
      break;
    case 1:
      one_side(in, true);
      break;
    case 2:
      plaintext(in);
      break;
    default:
      pair(in);
      break;
  }
  return 0;
}
