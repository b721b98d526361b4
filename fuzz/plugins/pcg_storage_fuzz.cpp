// Fuzz target: the /butter/pcg/1 message codec and the object-manifest decoder of
// plugins/pcg-storage (messages.*, blocks.*). The last input byte picks message or manifest.
// Invariant: an accepted input re-encodes to bytes that decode again and re-encode identically.
#include "blocks.hpp"
#include "fuzz_support.hpp"
#include "messages.hpp"

using namespace butter::pcg;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  butter::fuzz::Input in(data, size);
  const bool manifest = in.flag();
  const auto payload = in.rest();
  std::string why;
  if (manifest) {
    auto m = decode_manifest(payload, why);
    if (!m) {
      FUZZ_CHECK(!why.empty());
      return 0;
    }
    const auto once = encode_manifest(*m);
    auto again = decode_manifest(once, why);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(encode_manifest(*again) == once);
  } else {
    auto m = decode(payload, why);
    if (!m) {
      FUZZ_CHECK(!why.empty());
      return 0;
    }
    (void)type_name(m->type);
    const auto once = encode(*m);
    auto again = decode(once, why);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(encode(*again) == once);
  }
  return 0;
}
