// Fuzz target: the HELLO payload decoder (host/transport/hello.*).
//
// Invariants: a refused HELLO says why; an accepted one respects the limits (at most 16 endpoints
// of 1..255 bytes) and re-encodes to exactly the input (the format has one encoding per value).
#include "fuzz_support.hpp"
#include "transport/endpoint.hpp"
#include "transport/hello.hpp"

#include <spdlog/spdlog.h>

using namespace butter::host;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // host code logs every refusal
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> payload(data, size);
  HelloDecode d = decode_hello(payload);
  if (!d.hello) {
    FUZZ_CHECK(!d.error.empty());
    return 0;
  }
  FUZZ_CHECK(d.error.empty() && !d.version_mismatch);
  FUZZ_CHECK(d.hello->endpoints.size() <= kMaxHelloEndpoints);
  for (const auto& e : d.hello->endpoints) {
    FUZZ_CHECK(!e.empty() && e.size() <= kMaxEndpointBytes);
    std::string why;
    (void)parse_endpoint(e, why);  // what the transport does with an advertised endpoint
  }
  const auto again = encode_hello(*d.hello);
  FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  return 0;
}
