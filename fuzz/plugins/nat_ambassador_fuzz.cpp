// Fuzz target: the wire formats of plugins/nat-ambassador (messages.*): /butter/relay/1 messages,
// the /butter/nat/1 dial-back request, its result, the status announcement, Observe, Connect and Mapping (dispatched on
// the first byte as the plugin does), and relay:// endpoint URIs. The last input byte picks which. Invariant: an
// accepted input re-encodes to bytes that decode again and re-encode identically.
#include "fuzz_support.hpp"
#include "messages.hpp"

using namespace butter::nat;

namespace {

template <class T, class Encode, class Decode>
void stable(const T& first, Encode encode, Decode decode) {
  const auto once = encode(first);
  std::string why;
  auto again = decode(once.data(), once.size(), why);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(encode(*again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  butter::fuzz::Input in(data, size);
  const std::uint8_t which = static_cast<std::uint8_t>(in.range(0, 4));
  const auto p = in.rest();
  std::string why;
  switch (which) {
    case 0:
      if (auto m = decode_relay(p.data(), p.size(), why)) stable(*m, encode_relay, decode_relay);
      break;
    case 1:
      if (auto r = decode_dialback(p.data(), p.size(), why)) stable(*r, encode_dialback, decode_dialback);
      break;
    case 2:
      if (auto r = decode_dialback_result(p.data(), p.size(), why))
        stable(*r, encode_dialback_result, decode_dialback_result);
      break;
    case 3:
      if (auto s = decode_status(p.data(), p.size(), why)) stable(*s, encode_status, decode_status);
      if (auto n = decode_observe(p.data(), p.size(), why)) stable(*n, encode_observe, decode_observe);
      if (auto ip = decode_observed_ip(p.data(), p.size(), why)) stable(*ip, encode_observed_ip, decode_observed_ip);
      if (auto c = decode_connect(p.data(), p.size(), why)) {
        stable(*c, encode_connect, decode_connect);
        FUZZ_CHECK(encode_connect(*c) == p);  // one encoding per message: the flags byte only when set
      }
      if (auto a = decode_mapping_answer(p.data(), p.size(), why))
        stable(*a, encode_mapping_answer, decode_mapping_answer);
      (void)nat_type(p.data(), p.size());
      break;
    default: {
      const std::string_view uri(reinterpret_cast<const char*>(p.data()), p.size());
      if (auto e = parse_relay_endpoint(uri, why)) {
        const std::string once = format_relay_endpoint(*e);
        auto again = parse_relay_endpoint(once, why);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(format_relay_endpoint(*again) == once);
      }
      std::string host;
      std::uint16_t port = 0;
      if (split_tcp_endpoint(uri, host, port)) (void)unspecified_host(host), (void)punchable_ip(host);
      break;
    }
  }
  return 0;
}
