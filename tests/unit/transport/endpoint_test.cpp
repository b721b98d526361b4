// Endpoint URI parsing.
#include "transport/endpoint.hpp"
#include "transport/utf8.hpp"

#include <catch2/catch.hpp>

using namespace butter::host;

TEST_CASE("tcp endpoints parse", "[endpoint]") {
  std::string err;
  auto v4 = parse_endpoint("tcp://127.0.0.1:7000", err);
  REQUIRE(v4);
  CHECK(v4->scheme == "tcp");
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 7000);
  CHECK_FALSE(v4->host_is_ipv6_literal);

  auto v6 = parse_endpoint("tcp://[::1]:7001", err);
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 7001);
  CHECK(v6->host_is_ipv6_literal);

  auto name = parse_endpoint("TCP://localhost:0", err);
  REQUIRE(name);
  CHECK(name->scheme == "tcp");
  CHECK(name->host == "localhost");
  CHECK(name->port == 0);
}

TEST_CASE("other schemes keep their rest for the dialer", "[endpoint]") {
  std::string err;
  auto r = parse_endpoint("relay://198.18.0.1:7000/abcdef", err);
  REQUIRE(r);
  CHECK(r->scheme == "relay");
  CHECK(r->rest == "198.18.0.1:7000/abcdef");
}

TEST_CASE("bad endpoints are refused with a reason", "[endpoint]") {
  for (const char* bad : {"127.0.0.1:7000", "tcp://", "tcp://127.0.0.1", "tcp://127.0.0.1:", "tcp://127.0.0.1:70000",
                          "tcp://127.0.0.1:7x", "tcp://::1:7000", "tcp://[::1]7000", "tcp://[::1", "tcp://:7000",
                          "1tcp://a:1", "://a:1"}) {
    std::string err;
    INFO(bad);
    CHECK_FALSE(parse_endpoint(bad, err));
    CHECK_FALSE(err.empty());
  }
}

TEST_CASE("tcp endpoints format with brackets for IPv6", "[endpoint]") {
  CHECK(format_tcp_endpoint("10.0.0.1", 5) == "tcp://10.0.0.1:5");
  CHECK(format_tcp_endpoint("::1", 5) == "tcp://[::1]:5");
}

TEST_CASE("utf8 validation", "[endpoint]") {
  CHECK(valid_utf8_text("/butter/pcg/1"));
  CHECK(valid_utf8_text("é中😀"));
  CHECK_FALSE(valid_utf8_text("\xc0\xaf"));              // overlong
  CHECK_FALSE(valid_utf8_text("\xed\xa0\x80"));          // surrogate
  CHECK_FALSE(valid_utf8_text("\xe4\xb8"));              // truncated
  CHECK_FALSE(valid_utf8_text(std::string("a\0b", 3)));  // control
}
