// The /butter/knownhosts/1 messages: round trips and refusal of malformed input.
#include "quality_message.hpp"

#include <catch2/catch.hpp>

using namespace butter::knownhosts;

TEST_CASE("quality request and response round trip") {
  QualityRequest req{{3600, 1ull << 40, 12}, {"tcp://198.18.0.11:7700", "relay://abc/def"}};
  auto bytes = encode_request(req);
  std::string why;
  auto back = decode_request(bytes.data(), bytes.size(), why);
  REQUIRE(back);
  CHECK(back->quality.uptime_s == 3600);
  CHECK(back->quality.free_storage == (1ull << 40));
  CHECK(back->quality.hosts_known == 12);
  CHECK(back->endpoints == req.endpoints);
  auto rb = encode_response({1, 2, 3});
  auto q = decode_response(rb.data(), rb.size(), why);
  REQUIRE(q);
  CHECK(q->hosts_known == 3);
}

TEST_CASE("truncated or padded quality messages are refused") {
  auto bytes = encode_request(QualityRequest{{1, 2, 3}, {"tcp://127.0.0.1:1"}});
  std::string why;
  for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(decode_request(bytes.data(), n, why));
  bytes.push_back(1);
  CHECK_FALSE(decode_request(bytes.data(), bytes.size(), why));
  CHECK(why == "trailing bytes");
  auto rb = encode_response({1, 2, 3});
  for (std::size_t n = 0; n < rb.size(); ++n) CHECK_FALSE(decode_response(rb.data(), n, why));
  rb[0] = 3;
  CHECK_FALSE(decode_response(rb.data(), rb.size(), why));
  CHECK_THAT(why, Catch::Contains("version 3"));
}

TEST_CASE("a request with an endpoint that is not a URI is refused") {
  auto bytes = encode_request(QualityRequest{{1, 2, 3}, {"no-scheme"}});
  std::string why;
  CHECK_FALSE(decode_request(bytes.data(), bytes.size(), why));
  CHECK(why == "endpoint is not a URI");
}

TEST_CASE("quality messages of version 1 still decode, and version 2 is the smaller form") {
  QualityRequest req{{3600, 1ull << 40, 12}, {"tcp://198.18.0.11:7700"}};
  req.version = kQualityV1;
  auto v1 = encode_request(req);
  req.version = kQualityV2;
  auto v2 = encode_request(req);
  CHECK(v1.front() == 1);
  CHECK(v2.front() == 2);
  CHECK(v1.size() == 1 + 20 + 1 + 2 + 22);
  CHECK(v2.size() == 1 + (2 + 6 + 1) + 1 + 7);  // varints; the endpoint packed (kind, 4 + 2 bytes)
  std::string why;
  for (const auto* b : {&v1, &v2}) {
    auto back = decode_request(b->data(), b->size(), why);
    REQUIRE(back);
    CHECK(back->version == b->front());
    CHECK(back->quality.free_storage == (1ull << 40));
    CHECK(back->endpoints == req.endpoints);
  }
  for (std::uint8_t v : {kQualityV1, kQualityV2}) {
    auto rb = encode_response({7, 0, 300}, v);
    CHECK(rb.front() == v);
    auto q = decode_response(rb.data(), rb.size(), why);
    REQUIRE(q);
    CHECK(q->uptime_s == 7);
    CHECK(q->hosts_known == 300);
  }
  CHECK(encode_response({7, 0, 300}).size() == 1 + 1 + 1 + 2);
}

TEST_CASE("quality messages of version 2: truncated, padded, overlong or oversized fields are refused") {
  auto bytes = encode_request(QualityRequest{{1ull << 50, 2, 70000}, {"tcp://[2001:db8::1]:7", "quic://x"}});
  std::string why;
  REQUIRE(decode_request(bytes.data(), bytes.size(), why));
  for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(decode_request(bytes.data(), n, why));
  bytes.push_back(0);
  CHECK_FALSE(decode_request(bytes.data(), bytes.size(), why));
  // hosts_known above 32 bits, and a varint longer than needed.
  const std::vector<std::uint8_t> big_hosts = {2, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10}, overlong = {2, 0x80, 0x00, 0, 0};
  CHECK_FALSE(decode_response(big_hosts.data(), big_hosts.size(), why));
  CHECK_FALSE(decode_response(overlong.data(), overlong.size(), why));
  // 17 endpoints, an unknown endpoint kind, and a literal that has a packed form.
  const std::vector<std::uint8_t> many = {2, 0, 0, 0, 17}, kind = {2, 0, 0, 0, 1, 9, 0, 0};
  CHECK_FALSE(decode_request(many.data(), many.size(), why));
  CHECK_FALSE(decode_request(kind.data(), kind.size(), why));
  CHECK_THAT(why, Catch::Contains("endpoint kind 9"));
  std::vector<std::uint8_t> lit = {2, 0, 0, 0, 1, 0, 15};
  for (char c : std::string("tcp://1.2.3.4:5")) lit.push_back(static_cast<std::uint8_t>(c));
  CHECK_FALSE(decode_request(lit.data(), lit.size(), why));
  CHECK(why == "literal endpoint that has a packed form");
}
