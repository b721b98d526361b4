// Values every node must compute alike, pinned to known bytes: a change in how they lay out or
// load integers (big-endian, butter/wire.hpp) would split a group's agreement on its leader, its
// view order or a proof between old and new nodes. The expected values were checked against
// Python's hashlib (sha256, blake2b) on the byte layouts written out below.
#include "hash.hpp"
#include "possession.hpp"
#include "view.hpp"

#include <catch2/catch.hpp>

using namespace butter::pcg;

namespace {
std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("the rendezvous rank loads the first 16 bytes of each id big-endian") {
  CHECK(rank(sha256("object"), sha256("node")) == 0x71218bd05bae78cdull);
  Hash up{}, down{};
  for (std::size_t i = 0; i < up.size(); ++i) {
    up[i] = static_cast<std::uint8_t>(i);
    down[i] = static_cast<std::uint8_t>(0xff - i);
  }
  CHECK(rank(up, down) == 0x935c2de8aa68a0baull);
  // Only the first 16 bytes of each id count.
  Hash up_tail = up;
  up_tail[20] ^= 0xff;
  CHECK(rank(up_tail, down) == rank(up, down));
}

TEST_CASE("a view's digest is the first 8 bytes of SHA-256 over its sorted member ids, big-endian") {
  View v;
  v.add(Member{sha256("a"), {}});
  v.add(Member{sha256("b"), {}});
  // sha256(sha256("b") || sha256("a")) begins 18 d7 9c b7 47 ea 17 4c.
  CHECK(v.digest() == 0x18d79cb747ea174cull);
}

TEST_CASE(
    "a possession proof keys BLAKE2b with the nonce then the id's first 8 bytes, over id, index, offset, length, "
    "range") {
  // key = 01 02 03 04 05 06 07 08 || sha256("object")[0..8)
  // message = sha256("object") || 00 00 00 01 || 00 00 00 02 || 00 00 00 03 || "abc"
  const Hash p = possession_proof(sha256("object"), 0x0102030405060708ull, 1, 2, 3, as_bytes("abc"));
  CHECK(to_hex(p) == "e5cd7808f21028677593076c983725b4e7fd393c07b393bea941d188ab43ff13");
}
