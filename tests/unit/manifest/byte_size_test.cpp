// parse_byte_size: units, blanks, malformed input and 64-bit overflow.
#include <catch2/catch.hpp>

#include "manifest/manifest.hpp"

using butter::host::parse_byte_size;

TEST_CASE("byte size: plain numbers and units") {
  CHECK(parse_byte_size("4096") == 4096u);
  CHECK(parse_byte_size("0") == 0u);
  CHECK(parse_byte_size("12B") == 12u);
  CHECK(parse_byte_size("512KB") == 512000u);
  CHECK(parse_byte_size("512KiB") == 512u * 1024);
  CHECK(parse_byte_size("3MB") == 3000000u);
  CHECK(parse_byte_size("256MiB") == 256ull * 1024 * 1024);
  CHECK(parse_byte_size("2GB") == 2000000000ull);
  CHECK(parse_byte_size("1GiB") == 1024ull * 1024 * 1024);
  CHECK(parse_byte_size("1TB") == 1000ull * 1000 * 1000 * 1000);
  CHECK(parse_byte_size("1TiB") == 1024ull * 1024 * 1024 * 1024);
  CHECK(parse_byte_size(" 64 MiB ") == 64ull * 1024 * 1024);
}

TEST_CASE("byte size: malformed") {
  CHECK_FALSE(parse_byte_size(""));
  CHECK_FALSE(parse_byte_size("   "));
  CHECK_FALSE(parse_byte_size("MiB"));
  CHECK_FALSE(parse_byte_size("-1"));
  CHECK_FALSE(parse_byte_size("+1"));
  CHECK_FALSE(parse_byte_size("1.5GiB"));
  CHECK_FALSE(parse_byte_size("12 XB"));
  CHECK_FALSE(parse_byte_size("12mib"));
  CHECK_FALSE(parse_byte_size("12MiBs"));
  CHECK_FALSE(parse_byte_size("1 2"));
  CHECK_FALSE(parse_byte_size("0x10"));
}

TEST_CASE("byte size: overflow is malformed") {
  CHECK(parse_byte_size("18446744073709551615") == 18446744073709551615ull);
  CHECK_FALSE(parse_byte_size("18446744073709551616"));
  CHECK_FALSE(parse_byte_size("99999999999999999999999"));
  CHECK(parse_byte_size("16777215TiB") == 16777215ull << 40);
  CHECK_FALSE(parse_byte_size("16777216TiB"));
  CHECK_FALSE(parse_byte_size("18446744073709551615KB"));
}
