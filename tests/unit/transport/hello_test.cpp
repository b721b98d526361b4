// HELLO payload codec: round trip, version gate, and malformed payloads.
#include <butter/wire.hpp>
#include "transport/hello.hpp"

#include <catch2/catch.hpp>

using namespace butter::host;

TEST_CASE("hello round trips", "[hello]") {
  Hello h;
  h.id = NodeId::random();
  h.endpoints = {"tcp://127.0.0.1:7000", "tcp://[::1]:7000", "relay://x/y"};
  auto d = decode_hello(encode_hello(h));
  INFO(d.error);
  REQUIRE(d.hello);
  CHECK(*d.hello == h);
}

TEST_CASE("hello with no endpoints round trips", "[hello]") {
  Hello h;
  h.id = NodeId::random();
  auto bytes = encode_hello(h);
  CHECK(bytes.size() == 35);
  auto d = decode_hello(bytes);
  REQUIRE(d.hello);
  CHECK(*d.hello == h);
}

TEST_CASE("hello encoder drops endpoints it may not advertise", "[hello]") {
  Hello h;
  h.id = NodeId::random();
  h.endpoints.push_back(std::string(300, 'x'));
  for (int i = 0; i < 20; ++i) h.endpoints.push_back("tcp://10.0.0.1:" + std::to_string(7000 + i));
  auto d = decode_hello(encode_hello(h));
  REQUIRE(d.hello);
  CHECK(d.hello->endpoints.size() == kMaxHelloEndpoints);
  CHECK(d.hello->endpoints.front() == "tcp://10.0.0.1:7000");
}

TEST_CASE("hello of another version is a version mismatch", "[hello]") {
  Hello h;
  h.id = NodeId::random();
  auto bytes = encode_hello(h);
  butter::wire::put_u16(bytes.data(), 2);
  auto d = decode_hello(bytes);
  CHECK_FALSE(d.hello);
  CHECK(d.version_mismatch);
  CHECK(d.error == "peer speaks transport version 2, we speak 1");
}

TEST_CASE("malformed hellos are refused", "[hello]") {
  Hello h;
  h.id = NodeId::random();
  h.endpoints = {"tcp://127.0.0.1:7000"};
  auto good = encode_hello(h);

  CHECK(decode_hello(std::span<const std::uint8_t>(good.data(), 1)).error == "HELLO too short for a version");
  CHECK(decode_hello(std::span<const std::uint8_t>(good.data(), 20)).error ==
        "HELLO of 20 bytes is too short for a node id and endpoint count");
  CHECK(decode_hello(std::span<const std::uint8_t>(good.data(), good.size() - 1)).error ==
        "HELLO truncated in endpoint 0");

  auto bad = good;
  bad[34] = 17;
  CHECK(decode_hello(bad).error == "HELLO lists 17 endpoints (at most 16)");
  bad = good;
  bad[34] = 2;
  CHECK(decode_hello(bad).error == "HELLO truncated in endpoint 1");
  bad = good;
  butter::wire::put_u16(bad.data() + 35, 0);
  CHECK(decode_hello(bad).error == "HELLO endpoint 0 has length 0 (1..255)");
  bad = good;
  bad[37] = 0xff;
  CHECK(decode_hello(bad).error == "HELLO endpoint 0 is not valid UTF-8 text");
  bad = good;
  bad.push_back(0);
  CHECK(decode_hello(bad).error == "1 trailing bytes after the HELLO");
}
