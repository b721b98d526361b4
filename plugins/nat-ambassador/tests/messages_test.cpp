// Codecs of /butter/relay/1, /butter/nat/1 and relay:// URIs: round trips and refusals.
#include "messages.hpp"

#include <catch2/catch.hpp>

using namespace butter::nat;

namespace {
const std::string A(64, 'a'), B(64, 'b');
std::optional<RelayMessage> relay_rt(const RelayMessage& m) {
  auto bytes = encode_relay(m);
  std::string why;
  auto d = decode_relay(bytes.data(), bytes.size(), why);
  INFO(why);
  return d;
}
}  // namespace

TEST_CASE("nat-ambassador relay messages round-trip") {
  RelayMessage open{RelayType::Open, Leg::FromOrigin, 42, A, "", 0};
  auto o = relay_rt(open);
  REQUIRE(o);
  CHECK(o->type == RelayType::Open);
  CHECK(o->stream == 42);
  CHECK(o->node == A);

  RelayMessage data{RelayType::Data, Leg::ToTarget, 7, "", std::string("\0\1secret", 8), 0};
  auto d = relay_rt(data);
  REQUIRE(d);
  CHECK(d->leg == Leg::ToTarget);
  CHECK(d->body == data.body);

  RelayMessage close{RelayType::Close, Leg::FromTarget, 9, "", "bye", 0};
  auto c = relay_rt(close);
  REQUIRE(c);
  CHECK(c->body == "bye");
  CHECK(c->leg == Leg::FromTarget);

  auto reg = relay_rt(RelayMessage{RelayType::Register, Leg::FromOrigin, 0, "", "", 0});
  REQUIRE(reg);
  CHECK(reg->type == RelayType::Register);
}

TEST_CASE("nat-ambassador malformed relay messages are refused") {
  std::string why;
  CHECK_FALSE(decode_relay(nullptr, 0, why));
  const std::uint8_t unknown[] = {99};
  CHECK_FALSE(decode_relay(unknown, 1, why));
  auto open = encode_relay(RelayMessage{RelayType::Open, Leg::FromOrigin, 1, A, "", 0});
  for (std::size_t n = 1; n < open.size(); ++n) CHECK_FALSE(decode_relay(open.data(), n, why));
  open.push_back(0);
  CHECK_FALSE(decode_relay(open.data(), open.size(), why));
  auto data = encode_relay(RelayMessage{RelayType::Data, Leg::FromOrigin, 1, "", "x", 0});
  data[1] = 7;  // no such leg
  CHECK_FALSE(decode_relay(data.data(), data.size(), why));
  auto close = encode_relay(RelayMessage{RelayType::Close, Leg::FromOrigin, 1, "", "why", 0});
  close.pop_back();
  CHECK_FALSE(decode_relay(close.data(), close.size(), why));
  const std::uint8_t reg_trailing[] = {5, 0};
  CHECK_FALSE(decode_relay(reg_trailing, 2, why));
}

TEST_CASE("nat-ambassador nat messages round-trip and refuse garbage") {
  std::string why;
  auto req = encode_dialback(DialBackRequest{{7000, 7001}});
  REQUIRE(nat_type(req.data(), req.size()) == NatType::DialBack);
  auto d = decode_dialback(req.data(), req.size(), why);
  REQUIRE(d);
  CHECK(d->ports == std::vector<std::uint16_t>{7000, 7001});
  for (std::size_t n = 1; n < req.size(); ++n) CHECK_FALSE(decode_dialback(req.data(), n, why));
  const std::uint8_t too_many[] = {1, 9};
  CHECK_FALSE(decode_dialback(too_many, 2, why));
  const std::uint8_t port0[] = {1, 1, 0, 0};
  CHECK_FALSE(decode_dialback(port0, 4, why));

  auto res = encode_dialback_result(DialBackResult{"198.18.0.1", {1, 0}});
  auto r = decode_dialback_result(res.data(), res.size(), why);
  REQUIRE(r);
  CHECK(r->observed == "198.18.0.1");
  CHECK(r->reached == std::vector<std::uint8_t>{1, 0});
  res.push_back(1);
  CHECK_FALSE(decode_dialback_result(res.data(), res.size(), why));

  StatusMessage s{Reach::Private, false, 0, 16, format_relay_endpoint({A, "tcp://198.18.0.11:7700", B})};
  auto sb = encode_status(s);
  auto s2 = decode_status(sb.data(), sb.size(), why);
  REQUIRE(s2);
  CHECK(s2->verdict == Reach::Private);
  CHECK(s2->max_clients == 16);
  CHECK(s2->relay_endpoint == s.relay_endpoint);
  s.relay_endpoint = "relay://nonsense";
  sb = encode_status(s);
  CHECK_FALSE(decode_status(sb.data(), sb.size(), why));

  const std::uint8_t unknown[] = {77};
  CHECK_FALSE(nat_type(unknown, 1));
  CHECK_FALSE(nat_type(nullptr, 0));
}

TEST_CASE("nat-ambassador relay endpoints parse and format") {
  std::string why;
  const std::string uri = "relay://" + A + "@198.18.0.11:7700/" + B;
  auto e = parse_relay_endpoint(uri, why);
  REQUIRE(e);
  CHECK(e->ambassador == A);
  CHECK(e->client == B);
  CHECK(e->ambassador_tcp == "tcp://198.18.0.11:7700");
  CHECK(format_relay_endpoint(*e) == uri);
  auto v6 = parse_relay_endpoint("relay://" + A + "@[::1]:7/" + B, why);
  REQUIRE(v6);
  CHECK(v6->ambassador_tcp == "tcp://[::1]:7");
  auto none = parse_relay_endpoint("relay://" + A + "@/" + B, why);
  REQUIRE(none);
  CHECK(none->ambassador_tcp.empty());
  CHECK_FALSE(parse_relay_endpoint("tcp://1.2.3.4:5", why));
  CHECK_FALSE(parse_relay_endpoint("relay://" + A + "/" + B, why));
  CHECK_FALSE(parse_relay_endpoint("relay://" + A + "@1.2.3.4:5/" + A, why));  // own ambassador
  CHECK_FALSE(parse_relay_endpoint("relay://xyz@1.2.3.4:5/" + B, why));
  CHECK_FALSE(parse_relay_endpoint("relay://" + A + "@1.2.3.4/" + B, why));
  CHECK_FALSE(parse_relay_endpoint("relay://" + A + "@1.2.3.4:0/" + B, why));
  std::string upper = A;
  upper[0] = 'A';
  CHECK_FALSE(parse_relay_endpoint("relay://" + upper + "@1.2.3.4:5/" + B, why));
}

TEST_CASE("nat-ambassador relay Data encoded and read as a view matches the general codec") {
  const std::string body("\0\1bulk bytes", 12);
  const auto fast = encode_relay_data(Leg::FromTarget, 0x0102030405060708ull,
                                      reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
  CHECK(fast == encode_relay(RelayMessage{RelayType::Data, Leg::FromTarget, 0x0102030405060708ull, "", body, 0}));
  // The header on the wire: type 3, leg 1, the stream id big-endian.
  CHECK(std::vector<std::uint8_t>(fast.begin(), fast.begin() + kRelayDataHeader) ==
        std::vector<std::uint8_t>{3, 1, 1, 2, 3, 4, 5, 6, 7, 8});

  auto v = decode_relay_data(fast.data(), fast.size());
  REQUIRE(v);
  CHECK(v->leg == Leg::FromTarget);
  CHECK(v->stream == 0x0102030405060708ull);
  CHECK(v->data == fast.data() + kRelayDataHeader);  // a view of the payload, not a copy
  CHECK(std::string(reinterpret_cast<const char*>(v->data), v->len) == body);

  // Empty Data is well-formed; anything else is left to decode_relay (which says why).
  CHECK(decode_relay_data(encode_relay_data(Leg::ToOrigin, 1, nullptr, 0).data(), kRelayDataHeader));
  auto bad_leg = fast;
  bad_leg[1] = 4;
  CHECK_FALSE(decode_relay_data(bad_leg.data(), bad_leg.size()));
  CHECK_FALSE(decode_relay_data(fast.data(), kRelayDataHeader - 1));
  const auto close = encode_relay(RelayMessage{RelayType::Close, Leg::FromOrigin, 1, "", "bye", 0});
  CHECK_FALSE(decode_relay_data(close.data(), close.size()));
}

TEST_CASE("nat-ambassador connect messages round-trip and refuse what cannot be punched") {
  using namespace butter::nat;
  const std::vector<std::string> addrs{"tcp://198.18.0.2:7700", "tcp://[2001:db8::1]:7700"};
  auto bytes = encode_connect({addrs});
  REQUIRE(nat_type(bytes.data(), bytes.size()) == NatType::Connect);
  std::string why;
  auto back = decode_connect(bytes.data(), bytes.size(), why);
  REQUIRE(back);
  CHECK(back->addresses == addrs);
  CHECK_FALSE(back->mapping_varies);
  auto empty = encode_connect({});
  auto none = decode_connect(empty.data(), empty.size(), why);
  REQUIRE(none);
  CHECK(none->addresses.empty());
  // A NAT that varies ports: one flags byte more; without it, the bytes nodes before it sent.
  auto varies = encode_connect({addrs, true});
  CHECK(varies.size() == bytes.size() + 1);
  CHECK(std::equal(bytes.begin(), bytes.end(), varies.begin()));
  auto v = decode_connect(varies.data(), varies.size(), why);
  REQUIRE(v);
  CHECK(v->mapping_varies);
  CHECK(v->addresses == addrs);
  auto unknown_flag = bytes;
  unknown_flag.push_back(2);
  CHECK_FALSE(decode_connect(unknown_flag.data(), unknown_flag.size(), why));
  CHECK(why.find("flags") != std::string::npos);
  auto sync = encode_sync();
  CHECK(nat_type(sync.data(), sync.size()) == NatType::Sync);

  // Names, port 0, the unspecified address, other schemes: refused with a reason.
  for (const char* bad :
       {"tcp://example.org:7700", "tcp://198.18.0.2:0", "tcp://0.0.0.0:7700", "relay://a@b/c", "tcp://198.18.0.2"}) {
    auto b = encode_connect({{bad}});
    why.clear();
    CHECK_FALSE(decode_connect(b.data(), b.size(), why));
    CHECK_FALSE(why.empty());
  }
  // More than kMaxPunchAddresses on the wire, trailing bytes, truncation.
  std::vector<std::uint8_t> many{static_cast<std::uint8_t>(NatType::Connect), 5};
  CHECK_FALSE(decode_connect(many.data(), many.size(), why));
  auto trailing = encode_connect({addrs});
  trailing.push_back(0);  // a flags byte of 0 is not how flags 0 are sent
  CHECK_FALSE(decode_connect(trailing.data(), trailing.size(), why));
  trailing.back() = 1;
  trailing.push_back(1);
  CHECK_FALSE(decode_connect(trailing.data(), trailing.size(), why));
  auto truncated = encode_connect({addrs});
  truncated.resize(truncated.size() - 3);
  CHECK_FALSE(decode_connect(truncated.data(), truncated.size(), why));
  // The encoder keeps at most kMaxPunchAddresses.
  std::vector<std::string> six(6, "tcp://198.18.0.2:7700");
  auto capped = encode_connect({six});
  auto c = decode_connect(capped.data(), capped.size(), why);
  REQUIRE(c);
  CHECK(c->addresses.size() == kMaxPunchAddresses);
}

TEST_CASE("nat-ambassador mapping requests and answers round-trip and refuse what is not an IP and a port") {
  using namespace butter::nat;
  auto req = encode_mapping_request();
  CHECK(req.size() == 1);
  CHECK(nat_type(req.data(), req.size()) == NatType::Mapping);
  std::string why;
  for (const MappingAnswer& a : {MappingAnswer{"198.18.3.1", 40123}, MappingAnswer{"2001:db8::7", 1}}) {
    auto bytes = encode_mapping_answer(a);
    auto back = decode_mapping_answer(bytes.data(), bytes.size(), why);
    REQUIRE(back);
    CHECK(back->ip == a.ip);
    CHECK(back->port == a.port);
  }
  for (const MappingAnswer& bad : {MappingAnswer{"example.org", 7700}, MappingAnswer{"198.18.3.1", 0}}) {
    auto bytes = encode_mapping_answer(bad);
    why.clear();
    CHECK_FALSE(decode_mapping_answer(bytes.data(), bytes.size(), why));
    CHECK_FALSE(why.empty());
  }
  auto ok = encode_mapping_answer({"198.18.3.1", 40123});
  auto longer = ok;
  longer.push_back(0);
  CHECK_FALSE(decode_mapping_answer(longer.data(), longer.size(), why));
  CHECK_FALSE(decode_mapping_answer(ok.data(), ok.size() - 1, why));
}
