// Fuzz target: the /butter/knownhosts/1 message decoders of plugins/knownhosts-quality
// (quality_message.*). The last input byte picks request or response, the rest is the payload.
// Invariant: an accepted message re-encodes to exactly the payload it was decoded from.
#include "fuzz_support.hpp"
#include "quality_message.hpp"

using namespace butter::knownhosts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  butter::fuzz::Input in(data, size);
  const bool request = in.flag();
  const auto payload = in.rest();
  std::string why;
  if (request) {
    auto r = decode_request(payload.data(), payload.size(), why);
    if (!r) {
      FUZZ_CHECK(!why.empty());
      return 0;
    }
    FUZZ_CHECK(r->endpoints.size() <= 16);
    FUZZ_CHECK(encode_request(*r) == payload);
  } else {
    auto q = decode_response(payload.data(), payload.size(), why);
    if (!q) {
      FUZZ_CHECK(!why.empty());
      return 0;
    }
    FUZZ_CHECK(encode_response(*q, payload.front()) == payload);  // in its own version (1 or 2)
  }
  return 0;
}
