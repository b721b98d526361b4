// Block splitting, the manifest codec and verification.
#include "blocks.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace butter::pcg;

namespace {
std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}
}  // namespace

TEST_CASE("an object is split into block_size blocks with a short last block") {
  auto data = random_bytes(10 * 1024 + 17);
  std::string why;
  auto s = split(data, 4096, {}, why);
  REQUIRE(s);
  CHECK(s->manifest.size == data.size());
  REQUIRE(s->blocks.size() == 3);
  CHECK(s->blocks[0].size() == 4096);
  CHECK(s->blocks[2].size() == 10 * 1024 + 17 - 8192);
  CHECK(s->manifest.block_len(2) == s->blocks[2].size());
  for (std::size_t i = 0; i < 3; ++i) CHECK(verify_block(s->manifest, i, s->blocks[i]));
  CHECK(s->id == sha256(s->manifest_bytes));
  auto back = assemble(s->manifest, s->blocks, why);
  REQUIRE(back);
  CHECK(*back == data);
}

TEST_CASE("the object id depends on the content and the keywords only") {
  auto data = random_bytes(5000);
  std::string why;
  auto a = split(data, 1024, {"x"}, why);
  auto b = split(data, 1024, {"x"}, why);
  auto c = split(data, 1024, {"y"}, why);
  data[4999] ^= 1;
  auto d = split(data, 1024, {"x"}, why);
  CHECK(a->id == b->id);
  CHECK(a->id != c->id);
  CHECK(a->id != d->id);
}

TEST_CASE("an empty object has no blocks and assembles to nothing") {
  std::string why;
  auto s = split({}, 4096, {}, why);
  REQUIRE(s);
  CHECK(s->blocks.empty());
  auto back = assemble(s->manifest, s->blocks, why);
  REQUIRE(back);
  CHECK(back->empty());
}

TEST_CASE("a block with a wrong hash or length is refused") {
  auto data = random_bytes(3000);
  std::string why;
  auto s = split(data, 1024, {}, why);
  auto bad = s->blocks[1];
  bad[10] ^= 0x40;
  CHECK_FALSE(verify_block(s->manifest, 1, bad));
  auto short_block = s->blocks[0];
  short_block.pop_back();
  CHECK_FALSE(verify_block(s->manifest, 0, short_block));
  CHECK_FALSE(verify_block(s->manifest, 7, s->blocks[0]));  // no such block
  auto blocks = s->blocks;
  blocks[1] = bad;
  CHECK_FALSE(assemble(s->manifest, blocks, why));
  CHECK(why.find("block 1") != std::string::npos);
  blocks = s->blocks;
  blocks.pop_back();
  CHECK_FALSE(assemble(s->manifest, blocks, why));  // never silently truncated
}

TEST_CASE("manifests round trip and every truncation is refused") {
  auto data = random_bytes(9000);
  std::string why;
  auto s = split(data, 2048, {"alpha", "beta"}, why);
  auto m = decode_manifest(s->manifest_bytes, why);
  REQUIRE(m);
  CHECK(m->size == 9000);
  CHECK(m->keywords == std::vector<std::string>{"alpha", "beta"});
  CHECK(m->blocks == s->manifest.blocks);
  for (std::size_t n = 0; n < s->manifest_bytes.size(); ++n) {
    std::vector<std::uint8_t> cut(s->manifest_bytes.begin(), s->manifest_bytes.begin() + static_cast<long>(n));
    CHECK_FALSE(decode_manifest(cut, why));
  }
  auto longer = s->manifest_bytes;
  longer.push_back(0);
  CHECK_FALSE(decode_manifest(longer, why));
  CHECK(verify_manifest(s->id, s->manifest_bytes, why));
  Hash other = s->id;
  other[0] ^= 1;
  CHECK_FALSE(verify_manifest(other, s->manifest_bytes, why));
}

TEST_CASE("a manifest whose size disagrees with its block count is refused") {
  Manifest m;
  m.size = 5000;
  m.block_size = 1024;
  m.blocks.resize(3);  // 5000 bytes need 5 blocks
  std::string why;
  CHECK_FALSE(decode_manifest(encode_manifest(m), why));
  CHECK(why.find("does not match") != std::string::npos);
  // Sizes near 2^64, where size + block_size wraps to a few bytes: no block count fits them.
  for (const std::uint64_t size : {~std::uint64_t{0}, ~std::uint64_t{0} - 1022, ~std::uint64_t{0} - 2047}) {
    for (const std::size_t count : {std::size_t{0}, std::size_t{1}}) {
      Manifest huge;
      huge.size = size;
      huge.block_size = 1024;
      huge.blocks.resize(count);
      why.clear();
      INFO("size " << size << ", " << count << " blocks");
      CHECK_FALSE(decode_manifest(encode_manifest(huge), why));
      CHECK(why.find("does not match") != std::string::npos);
    }
  }
  // The largest a manifest may describe still decodes: kMaxBlocks blocks of kMaxBlockSize.
  Manifest largest;
  largest.block_size = kMaxBlockSize;
  largest.size = std::uint64_t{kMaxBlocks} * kMaxBlockSize;
  largest.blocks.resize(kMaxBlocks);
  CHECK(decode_manifest(encode_manifest(largest), why));
}

TEST_CASE("bad split arguments are refused with a reason") {
  std::string why;
  CHECK_FALSE(split({}, 10, {}, why));
  CHECK_FALSE(split({}, 4096, {std::string(300, 'k')}, why));
  CHECK(why.find("keyword") != std::string::npos);
}
