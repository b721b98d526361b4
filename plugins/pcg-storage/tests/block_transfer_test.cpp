// Block transfers (block_transfer.hpp) without an engine: a fake node records the FETCHes sent.
// The window spread over the sources, verified answers, bad blocks and busy sources, timeouts and
// the failed sources asked again, late answers kept, deadlines moved by progress and pauses.
#include "block_transfer.hpp"
#include "deadlines.hpp"
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

struct TransferTestNode final : FetchNode {
  Config cfg;
  std::vector<std::pair<Hash, std::uint32_t>> fetches;  // (to, block index), in order sent
  std::size_t bad_blocks = 0;
  std::uint64_t random() override { return 0; }
  void send(Output&, const Hash& to, const Message& m) override {
    REQUIRE(m.type == MsgType::Fetch);
    fetches.emplace_back(to, m.index);
  }
  const Config& config() const override { return cfg; }
  void count_bad_block() override { ++bad_blocks; }
};

Hash transfer_test_source(std::uint8_t n) {
  Hash h{};
  h[0] = n;
  return h;
}

SplitObject transfer_test_object(std::size_t blocks) {
  std::string why;
  auto obj = split(bytes_of(blocks * 1024, 7), 1024, {}, why);
  REQUIRE(obj);
  REQUIRE(obj->blocks.size() == blocks);
  return std::move(*obj);
}

Message transfer_test_block(const SplitObject& obj, std::uint32_t i, butter_status st = BUTTER_OK) {
  Message m;
  m.type = MsgType::Block;
  m.object = obj.id;
  m.index = i;
  m.status = st;
  if (st == BUTTER_OK) m.data = obj.blocks[i];
  return m;
}

}  // namespace

TEST_CASE("block transfer: a window of fetches spread over the sources, a different first source per block") {
  const auto obj = transfer_test_object(6);
  TransferTestNode node;
  node.cfg.fetch_window = 4;
  const Hash a = transfer_test_source(1), b = transfer_test_source(2);
  BlockTransfer t;
  t.expect(6);
  Output out;
  CHECK(t.pump(node, obj.manifest, obj.id, {a, b}, 0, out));
  REQUIRE(node.fetches.size() == 4);  // the window
  for (std::uint32_t i = 0; i < 4; ++i) CHECK(node.fetches[i] == std::make_pair(i % 2 ? b : a, i));
  CHECK(t.in_flight());
  CHECK(t.asked(0, a));
  CHECK_FALSE(t.asked(0, b));
  CHECK_FALSE(t.asked(4, a));
  // Pumping again sends nothing more while the window is full.
  CHECK(t.pump(node, obj.manifest, obj.id, {a, b}, 1, out));
  CHECK(node.fetches.size() == 4);
}

TEST_CASE("block transfer: a verified answer is stored, a wrong block is counted and its source not asked again") {
  const auto obj = transfer_test_object(2);
  TransferTestNode node;
  const Hash a = transfer_test_source(1), b = transfer_test_source(2);
  BlockTransfer t;
  t.expect(2);
  Output out;
  REQUIRE(t.pump(node, obj.manifest, obj.id, {a, b}, 0, out));
  // Only the source asked may answer.
  CHECK_FALSE(t.accept(node, obj.manifest, b, transfer_test_block(obj, 0), 1));
  CHECK(t.asked(0, a));
  CHECK(t.accept(node, obj.manifest, a, transfer_test_block(obj, 0), 1));
  CHECK(t.has(0));
  CHECK(t.blocks()[0] == obj.blocks[0]);
  CHECK(t.have_count() == 1);
  // Block 1 went to b; it answers with block 0's bytes.
  auto wrong = transfer_test_block(obj, 1);
  wrong.data = obj.blocks[0];
  CHECK_FALSE(t.accept(node, obj.manifest, b, wrong, 2));
  CHECK(node.bad_blocks == 1);
  CHECK_FALSE(t.has(1));
  node.fetches.clear();
  REQUIRE(t.pump(node, obj.manifest, obj.id, {a, b}, 3, out));
  REQUIRE(node.fetches.size() == 1);
  CHECK(node.fetches[0] == std::make_pair(a, std::uint32_t{1}));
  CHECK(t.accept(node, obj.manifest, a, transfer_test_block(obj, 1), 4));
  CHECK(t.have_count() == 2);
  CHECK_FALSE(t.in_flight());
}

TEST_CASE("block transfer: a busy source is waited for and a refusing one is failed") {
  const auto obj = transfer_test_object(1);
  TransferTestNode node;
  node.cfg.request_timeout_ms = 1000;
  const Hash a = transfer_test_source(1);
  BlockTransfer t;
  t.expect(1);
  Output out;
  REQUIRE(t.pump(node, obj.manifest, obj.id, {a}, 0, out));
  CHECK_FALSE(t.accept(node, obj.manifest, a, transfer_test_block(obj, 0, BUTTER_E_AGAIN), 10));
  // Busy for a quarter of the timeout (random() is 0: no jitter): not asked, yet not failed.
  node.fetches.clear();
  CHECK(t.pump(node, obj.manifest, obj.id, {a}, 10 + 249, out));
  CHECK(node.fetches.empty());
  CHECK(t.pump(node, obj.manifest, obj.id, {a}, 10 + 250, out));
  REQUIRE(node.fetches.size() == 1);
  // NOT_FOUND: failed for that block; with no other source the transfer says so.
  CHECK_FALSE(t.accept(node, obj.manifest, a, transfer_test_block(obj, 0, BUTTER_E_NOT_FOUND), 300));
  CHECK_FALSE(t.pump(node, obj.manifest, obj.id, {a}, 301, out));
  CHECK(node.fetches.size() == 1);
  // Until the failures are forgotten.
  t.forget_failures();
  CHECK(t.pump(node, obj.manifest, obj.id, {a}, 302, out));
  CHECK(node.fetches.size() == 2);
}

TEST_CASE("block transfer: a timed-out request fails its source, and its late verified answer is kept") {
  const auto obj = transfer_test_object(1);
  TransferTestNode node;
  node.cfg.request_timeout_ms = 1000;
  const Hash a = transfer_test_source(1), b = transfer_test_source(2), c = transfer_test_source(3);
  BlockTransfer t;
  t.expect(1);
  Output out;
  REQUIRE(t.pump(node, obj.manifest, obj.id, {a, b}, 0, out));
  t.expire(999);
  CHECK(t.asked(0, a));
  t.expire(1000);
  CHECK_FALSE(t.in_flight());
  // Asked of b now; a's answer arrives late: not an answer to a request in flight...
  REQUIRE(t.pump(node, obj.manifest, obj.id, {a, b}, 1000, out));
  CHECK(t.asked(0, b));
  CHECK_FALSE(t.accept(node, obj.manifest, a, transfer_test_block(obj, 0), 1100));
  // ...but kept as a late one, and b's request is dropped. A source never asked is not heard.
  CHECK_FALSE(t.accept_late(node, obj.manifest, c, transfer_test_block(obj, 0), 1100));
  CHECK(t.accept_late(node, obj.manifest, a, transfer_test_block(obj, 0), 1100));
  CHECK(t.has(0));
  CHECK_FALSE(t.in_flight());
  // Held now: a second late answer changes nothing.
  CHECK_FALSE(t.accept_late(node, obj.manifest, a, transfer_test_block(obj, 0), 1200));
  CHECK(t.have_count() == 1);
}

TEST_CASE("block transfer: progress and pauses move deadlines on, at most kMaxFetchStretch timeouts") {
  const auto obj = transfer_test_object(3);
  TransferTestNode node;
  node.cfg.request_timeout_ms = 1000;
  node.cfg.fetch_window = 2;
  const Hash a = transfer_test_source(1);
  BlockTransfer t;
  t.expect(3);
  Output out;
  REQUIRE(t.pump(node, obj.manifest, obj.id, {a}, 0, out));
  // Two requests queued at a: 1000 ms and 1500 ms. a answers the first at 1400: the second is
  // given a full timeout from then.
  CHECK(t.accept(node, obj.manifest, a, transfer_test_block(obj, 0), 1400));
  t.expire(2399);
  CHECK(t.asked(1, a));
  // A pause of 100 s moves it on, but not past 8 timeouts from when it was sent.
  t.credit_pause(100000, node.cfg.request_timeout_ms);
  t.expire(kMaxFetchStretch * 1000 - 1);
  CHECK(t.asked(1, a));
  t.expire(kMaxFetchStretch * 1000);
  CHECK_FALSE(t.asked(1, a));
}

TEST_CASE("block transfer: every block given at once leaves nothing to fetch and expect starts over") {
  const auto obj = transfer_test_object(3);
  TransferTestNode node;
  const Hash a = transfer_test_source(1);
  BlockTransfer t;
  t.expect(3);
  Output out;
  REQUIRE(t.pump(node, obj.manifest, obj.id, {a}, 0, out));
  REQUIRE(t.in_flight());
  t.hold_all(obj.blocks);
  CHECK(t.have_count() == 3);
  CHECK_FALSE(t.in_flight());  // answers to the requests before are late now
  CHECK(t.pump(node, obj.manifest, obj.id, {}, 1, out));
  t.expect(3);
  CHECK(t.have_count() == 0);
  CHECK_FALSE(t.has(0));
  CHECK_FALSE(t.pump(node, obj.manifest, obj.id, {}, 2, out));  // no source, nothing held
}

TEST_CASE("block transfer: fetching n blocks costs pump O(n) steps in all and skips no missing block") {
  // Each arrival pumps again. Scanning from block 0 each time looked at n^2 / 2 blocks in all
  // (here 8 million); held blocks at the front are now passed once.
  constexpr std::uint32_t kBlocks = 4096;
  const auto obj = transfer_test_object(kBlocks);
  TransferTestNode node;
  node.cfg.fetch_window = 4;
  const Hash a = transfer_test_source(1), b = transfer_test_source(2);
  BlockTransfer t;
  t.expect(kBlocks);
  Output out;
  REQUIRE(t.pump(node, obj.manifest, obj.id, {a, b}, 0, out));
  std::size_t answered = 0;
  std::uint64_t now = 1;
  // Answer the requests in the order sent, but the second of each pair first (out of order), and
  // refuse every 100th block once (its other source then serves it).
  while (answered < node.fetches.size() && now < 100000) {
    const std::size_t take = answered + 1 < node.fetches.size() ? 2 : 1;
    std::vector<std::pair<Hash, std::uint32_t>> batch(
        node.fetches.begin() + static_cast<std::ptrdiff_t>(answered),
        node.fetches.begin() + static_cast<std::ptrdiff_t>(answered + take));
    std::reverse(batch.begin(), batch.end());
    answered += take;
    for (const auto& [to, i] : batch) {
      const bool refuse = i % 100 == 0 && to == (i % 2 == 0 ? a : b);
      t.accept(node, obj.manifest, to, transfer_test_block(obj, i, refuse ? BUTTER_E_NOT_FOUND : BUTTER_OK), now);
      REQUIRE(t.pump(node, obj.manifest, obj.id, {a, b}, ++now, out));
    }
  }
  CHECK(t.have_count() == kBlocks);
  CHECK_FALSE(t.in_flight());
  CHECK(t.blocks() == obj.blocks);
  INFO("pump steps: " << t.pump_steps());
  // Each of the ~n pumps looks at the requests in flight (the window of 4) and the next missing
  // block: about 4.5 n here. From block 0 each time it was over 8 million.
  CHECK(t.pump_steps() <= 8 * std::uint64_t{kBlocks});
}
