// Fuzz target: the /butter/dbfs/1 codec of plugins/ir-dbfs (messages.*): QUERY (v1, and v2 with its
// budget), HITS, EXTEND, LINK,
// dispatched on the header as the plugin does (peek_type); the same bytes also go to the hot-swap
// state decoder (decode_state). Invariant: an accepted message or state
// re-encodes to bytes that decode again and re-encode identically.
#include "fuzz_support.hpp"
#include "messages.hpp"

using namespace butter::dbfs;

namespace {

template <class T, class Decode>
void stable(const T& first, Decode decode) {
  const auto once = encode(first);
  std::string why;
  auto again = decode(once.data(), once.size(), why);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(encode(*again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string why;
  // The same bytes as the plugin's hot-swap state (decode_state).
  if (auto st = decode_state(std::string_view(reinterpret_cast<const char*>(data), size), why)) {
    const std::string once = encode_state(*st);
    auto again = decode_state(once, why);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(encode_state(*again) == once);
  }
  why.clear();
  auto type = peek_type(data, size, why);
  if (!type) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  switch (*type) {
    case MsgType::Query:
      if (auto q = decode_query(data, size, why)) {
        for (const auto& t : q->terms) (void)fold_case(t);
        stable(*q, decode_query);
        return 0;
      }
      break;
    case MsgType::Hits:
      if (auto h = decode_hits(data, size, why)) {
        stable(*h, decode_hits);
        return 0;
      }
      break;
    case MsgType::Extend:
      if (auto e = decode_extend(data, size, why)) {
        stable(*e, decode_extend);
        return 0;
      }
      break;
    case MsgType::Link:
      if (decode_link(data, size, why)) {
        const auto once = encode_link();
        FUZZ_CHECK(decode_link(once.data(), once.size(), why));
        return 0;
      }
      break;
    default:
      return 0;  // a type added to the plugin that this target does not decode yet
  }
  FUZZ_CHECK(!why.empty());
  return 0;
}
