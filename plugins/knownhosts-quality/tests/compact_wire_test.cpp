// The compact forms of the version-2 membership messages (compact_wire.hpp): varints and packed
// endpoints round trip, and truncated, overlong or non-canonical input is refused.
#include "compact_wire.hpp"

#include <catch2/catch.hpp>

using namespace butter::knownhosts;

namespace {

std::vector<std::uint8_t> packed(std::string_view uri) {
  butter::wire::Writer w;
  put_endpoint(w, uri);
  return w.take();
}

std::optional<std::string> unpacked(const std::vector<std::uint8_t>& b, std::string& why) {
  butter::wire::Reader r(b.data(), b.size());
  const std::uint8_t kind = r.u8();
  if (!r.ok()) return std::nullopt;
  auto e = get_endpoint(r, kind, why);
  if (e && !r.at_end()) return std::nullopt;
  return e;
}

}  // namespace

TEST_CASE("varints round trip at their edges and refuse truncated, overlong and non-minimal forms") {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, 1'800'000'000'000ull, ~0ull}) {
    butter::wire::Writer w;
    put_varint(w, v);
    CHECK(w.size() == varint_size(v));
    butter::wire::Reader r(w.data().data(), w.size());
    std::uint64_t back = 1;
    REQUIRE(get_varint(r, back));
    CHECK(back == v);
    CHECK(r.at_end());
    for (std::size_t n = 0; n < w.size(); ++n) {
      butter::wire::Reader cut(w.data().data(), n);
      CHECK_FALSE(get_varint(cut, back));
    }
  }
  CHECK(varint_size(1'800'000'000'000ull) == 6);  // a unix time in ms: 6 bytes instead of 8
  std::uint64_t v = 0;
  const std::vector<std::uint8_t> eleven(11, 0x80),
      past64 = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}, not_minimal = {0x81, 0x00};
  for (const auto* b : {&eleven, &past64, &not_minimal}) {
    butter::wire::Reader r(b->data(), b->size());
    CHECK_FALSE(get_varint(r, v));
  }
}

TEST_CASE("endpoints pack to a few bytes when they rebuild to the same text, else travel literally") {
  const std::string amb(64, 'a'), client = std::string(63, '0') + "1";
  struct Case {
    std::string uri;
    std::size_t size;
  };
  for (const Case& c : std::vector<Case>{
           {"tcp://198.18.0.11:7700", 1 + 4 + 2},
           {"tcp://127.0.0.1:0", 1 + 4 + 2},
           {"tcp://[2001:db8::1]:7000", 1 + 16 + 2},
           {"relay://" + amb + "@198.18.0.10:7000/" + client, 1 + 64 + 1 + 4 + 2},
           {"relay://" + amb + "@[2001:db8::2]:1/" + client, 1 + 64 + 1 + 16 + 2},
           {"relay://" + amb + "@/" + client, 1 + 64 + 1},
           // Not in the packed forms' canonical text: literal (kind, length, the bytes).
           {"tcp://010.0.0.1:7", 2 + 17},
           {"tcp://1.2.3.4:07", 2 + 16},
           {"tcp://[2001:0db8::1]:7", 2 + 22},
           {"tcp://host.example:7", 2 + 20},
           {"relay://" + std::string(64, 'A') + "@/" + client, 2 + 8 + 64 + 2 + 64},
           {"quic://198.18.0.1:7", 2 + 19},
       }) {
    INFO(c.uri);
    auto b = packed(c.uri);
    CHECK(b.size() == c.size);
    std::string why;
    auto back = unpacked(b, why);
    REQUIRE(back);
    CHECK(*back == c.uri);
    // Every truncation is refused with a reason.
    for (std::size_t n = 1; n < b.size(); ++n) {
      std::vector<std::uint8_t> cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
      butter::wire::Reader r(cut.data(), cut.size());
      const std::uint8_t kind = r.u8();
      std::string w;
      CHECK_FALSE(get_endpoint(r, kind, w));
      CHECK_FALSE(w.empty());
    }
  }
}

TEST_CASE(
    "endpoints: an unknown kind, an empty literal, a literal with a packed form and a bad relay host are refused") {
  std::string why;
  CHECK_FALSE(unpacked({9, 0}, why));
  CHECK(why == "endpoint kind 9");
  CHECK_FALSE(unpacked({0, 0}, why));
  CHECK(why == "empty endpoint");
  std::vector<std::uint8_t> lit = {0, 14};
  for (char c : std::string("tcp://1.2.3.4:5")) lit.push_back(static_cast<std::uint8_t>(c));
  lit[1] = static_cast<std::uint8_t>(lit.size() - 2);
  CHECK_FALSE(unpacked(lit, why));
  CHECK(why == "literal endpoint that has a packed form");
  std::vector<std::uint8_t> relay(1 + 64 + 1, 0);
  relay[0] = kEndpointRelay;
  relay[65] = 7;
  CHECK_FALSE(unpacked(relay, why));
  CHECK(why == "relay endpoint host kind 7");
}
