// Proof of possession (possession.hpp) without an engine: the proof from a range and a nonce, the
// verifier that lacks a block asking for it whole, the choice of ranges (a prover with half the
// blocks fails about half the audits), and the per-peer answer budget.
#include "possession.hpp"
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace butter::pcg;
using namespace butter::pcg::test;

TEST_CASE("a proof is computed from the range and the nonce, and anything else fails it") {
  auto data = bytes_of(5000, 1);
  std::string why;
  auto obj = split(data, 1024, {}, why);
  REQUIRE(obj);
  std::vector<bool> have(obj->blocks.size(), true);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t nonce = rng();
    const ChallengeSpec c = pick_challenge(obj->manifest, have, rng(), rng());
    REQUIRE(c.mode == ChallengeMode::KeyedHash);
    const auto& block = obj->blocks[c.index];
    // At least half the block, inside it.
    CHECK(c.length >= (block.size() + 1) / 2);
    CHECK(c.offset + c.length <= block.size());
    std::vector<std::uint8_t> proof;
    REQUIRE(answer_challenge(obj->id, obj->manifest, obj->blocks, have, nonce, c, proof, why));
    const Hash expected = possession_proof(obj->id, nonce, c.index, c.offset, c.length,
                                           std::span<const std::uint8_t>(block).subspan(c.offset, c.length));
    CHECK(std::equal(proof.begin(), proof.end(), expected.begin(), expected.end()));
    // Another nonce, or one byte of the range different: another proof.
    CHECK(possession_proof(obj->id, nonce + 1, c.index, c.offset, c.length,
                           std::span<const std::uint8_t>(block).subspan(c.offset, c.length)) != expected);
    auto damaged = obj->blocks;
    damaged[c.index][c.offset + rng() % c.length] ^= 0x01;
    REQUIRE(answer_challenge(obj->id, obj->manifest, damaged, have, nonce, c, proof, why));
    CHECK_FALSE(std::equal(proof.begin(), proof.end(), expected.begin(), expected.end()));
  }
  // A range outside the block, or a block not held, is not answered.
  ChallengeSpec c;
  c.index = 4;  // the last block: 5000 - 4096 = 904 bytes
  c.offset = 900;
  c.length = 10;
  std::vector<std::uint8_t> proof;
  CHECK_FALSE(answer_challenge(obj->id, obj->manifest, obj->blocks, have, 1, c, proof, why));
  have[1] = false;
  c.index = 1;
  c.offset = 0;
  c.length = 10;
  CHECK_FALSE(answer_challenge(obj->id, obj->manifest, obj->blocks, have, 1, c, proof, why));
  CHECK(why == "block not held");
}

TEST_CASE("a verifier without the block asks for it whole") {
  auto data = bytes_of(4096, 2);
  std::string why;
  auto obj = split(data, 1024, {}, why);
  REQUIRE(obj);
  std::vector<bool> have = {true, false, true, false};
  std::mt19937_64 rng(4);
  for (int i = 0; i < 100; ++i) {
    const ChallengeSpec c = pick_challenge(obj->manifest, have, rng(), rng());
    CHECK((c.mode == ChallengeMode::WholeBlock) == !have[c.index]);
    if (c.mode == ChallengeMode::WholeBlock) {
      std::vector<std::uint8_t> proof;
      std::vector<bool> all(4, true);
      REQUIRE(answer_challenge(obj->id, obj->manifest, obj->blocks, all, 9, c, proof, why));
      CHECK(verify_block(obj->manifest, c.index, proof));
    }
  }
}

TEST_CASE("a prover that kept half of the blocks fails about half of the audits") {
  auto data = bytes_of(16 * 1024, 3);
  std::string why;
  auto obj = split(data, 1024, {}, why);
  REQUIRE(obj);
  std::vector<bool> all(16, true), half(16, false);
  for (std::size_t i = 0; i < 16; i += 2) half[i] = true;
  std::mt19937_64 rng(5);
  int passed = 0;
  const int audits = 2000;
  for (int i = 0; i < audits; ++i) {
    const std::uint64_t nonce = rng();
    const ChallengeSpec c = pick_challenge(obj->manifest, all, rng(), rng());
    std::vector<std::uint8_t> expected, proof;
    REQUIRE(answer_challenge(obj->id, obj->manifest, obj->blocks, all, nonce, c, expected, why));
    if (answer_challenge(obj->id, obj->manifest, obj->blocks, half, nonce, c, proof, why) && proof == expected)
      ++passed;
  }
  CHECK(passed > audits * 4 / 10);
  CHECK(passed < audits * 6 / 10);
  // Ten audits in a row pass with probability about 2^-10.
}

TEST_CASE("the answer budget refills at its rate and forgets idle peers") {
  AnswerBudget b(1000, 4000);
  const Hash p = sha256("peer");
  CHECK(b.take(p, 3000, 0));
  CHECK_FALSE(b.take(p, 2000, 0));
  CHECK(b.take(p, 1000, 0));
  CHECK_FALSE(b.take(p, 1, 0));
  CHECK(b.take(p, 1000, 1000));  // one second: 1000 bytes back
  CHECK_FALSE(b.take(p, 500, 1000));
  b.prune(1000);
  CHECK(b.size() == 1);
  b.prune(10000);  // refilled to the burst: nothing to remember
  CHECK(b.size() == 0);
}
