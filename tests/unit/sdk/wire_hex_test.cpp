// butter/wire.hpp hex helpers: to_hex of any bytes (lowercase), from_hex that refuses odd lengths
// and non-hex characters with nullopt, the fixed-length form ids use, and is_lower_hex for the one
// spelling of an id compared as text; and Reader::octets, the byte-span read.
#include <butter/wire.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace wire = butter::wire;

TEST_CASE("wire hex: to_hex writes two lowercase digits a byte, from any bytes") {
  CHECK(wire::to_hex(std::string_view()) == "");
  CHECK(wire::to_hex(std::string("\x00\x0f\xa0\xff", 4)) == "000fa0ff");
  const std::array<std::uint8_t, 3> arr{0xde, 0xad, 0x01};
  CHECK(wire::to_hex(arr) == "dead01");
  const std::vector<std::uint8_t> vec{0xbe, 0xef};
  CHECK(wire::to_hex(vec) == "beef");
  CHECK(wire::id_to_hex(std::string(32, '\x11')) == std::string(64, '1'));
}

TEST_CASE("wire hex: from_hex reads either case and refuses the rest") {
  auto bytes = wire::from_hex("00fFa0Ff");
  REQUIRE(bytes);
  CHECK(*bytes == std::vector<std::uint8_t>{0x00, 0xff, 0xa0, 0xff});
  REQUIRE(wire::from_hex(""));
  CHECK(wire::from_hex("")->empty());
  for (const char* bad : {"0", "abc", "0g", "zz", " 0", "0 ", "-1", "0x00", "\xc3\xa9"}) {
    INFO(bad);
    CHECK_FALSE(wire::from_hex(bad));
  }
  CHECK_FALSE(
      wire::from_hex(std::string("00\0"
                                 "0",
                                 4)));
  // Round trip of every byte value.
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto back = wire::from_hex(wire::to_hex(all));
  REQUIRE(back);
  CHECK(std::string(back->begin(), back->end()) == all);
}

TEST_CASE("wire hex: the fixed-length form takes exactly twice as many digits as bytes") {
  std::array<std::uint8_t, 2> out{};
  CHECK(wire::from_hex("a1B2", out));
  CHECK(out == std::array<std::uint8_t, 2>{0xa1, 0xb2});
  CHECK_FALSE(wire::from_hex("a1b2c3", out));
  CHECK_FALSE(wire::from_hex("a1", out));
  CHECK_FALSE(wire::from_hex("a1bx", out));
  std::uint8_t id[32];
  CHECK(wire::hex_to_id(std::string(64, 'A'), id));
  CHECK(id[31] == 0xaa);
  CHECK_FALSE(wire::hex_to_id(std::string(63, 'a'), id));
  CHECK_FALSE(wire::hex_to_id(std::string(66, 'a'), id));
}

TEST_CASE("wire hex: is_lower_hex accepts only the canonical spelling of the given length") {
  CHECK(wire::is_lower_hex(std::string(64, 'f'), 64));
  CHECK(wire::is_lower_hex("0123456789abcdef", 16));
  CHECK(wire::is_lower_hex("", 0));
  CHECK_FALSE(wire::is_lower_hex(std::string(64, 'F'), 64));  // upper case is another spelling
  CHECK_FALSE(wire::is_lower_hex(std::string(63, 'f'), 64));
  CHECK_FALSE(wire::is_lower_hex("0123456789abcdeg", 16));
}

TEST_CASE("wire reader: octets gives the same bytes as bytes and fails the reader past the end") {
  const std::vector<std::uint8_t> in{0, 0, 0, 3, 0xff, 0x80, 0x01, 0x7f};
  wire::Reader r(in);
  REQUIRE(r.u32() == 3);
  const auto o = r.octets(3);
  REQUIRE(r.ok());
  CHECK(std::vector<std::uint8_t>(o.begin(), o.end()) == std::vector<std::uint8_t>{0xff, 0x80, 0x01});
  CHECK(o.data() == in.data() + 4);  // a view of the input, not a copy
  CHECK(r.remaining() == 1);
  CHECK(r.octets(2).empty());  // one byte left: refused, and the reader fails from here on
  CHECK_FALSE(r.ok());
  CHECK(r.u8() == 0);
}
