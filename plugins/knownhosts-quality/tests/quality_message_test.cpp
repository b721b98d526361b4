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
  rb[0] = 2;
  CHECK_FALSE(decode_response(rb.data(), rb.size(), why));
  CHECK_THAT(why, Catch::Contains("version 2"));
}

TEST_CASE("a request with an endpoint that is not a URI is refused") {
  auto bytes = encode_request(QualityRequest{{1, 2, 3}, {"no-scheme"}});
  std::string why;
  CHECK_FALSE(decode_request(bytes.data(), bytes.size(), why));
  CHECK(why == "endpoint is not a URI");
}
