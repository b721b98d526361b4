// Where a punch goes (punch_plan.hpp): a peer's Connect names addresses, its claims; the spread
// goes only to an IP vouched for by the circuit's ambassador, and some addresses never get a SYN.
#include "messages.hpp"
#include "punch_plan.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace butter::nat;
using V = std::vector<std::string>;

namespace {
const std::string kPeerPublic = "tcp://203.0.113.7:7700";  // where the ambassador saw the peer
const std::string kThirdParty = "tcp://198.51.100.9:443";  // someone else's server
const std::string kPeerLan = "tcp://192.168.1.10:7700";    // the peer's listen address
const std::string kVouched = "203.0.113.7";

// The addresses of a Connect as they arrive: encoded by the peer, decoded here.
V connect_from_peer(const V& addresses) {
  const auto wire = encode_connect({addresses});
  std::string why;
  auto out = decode_connect(wire.data(), wire.size(), why);
  INFO(why);
  REQUIRE(out);
  return out->addresses;
}
}  // namespace

TEST_CASE("nat-ambassador punch plan: a Connect naming a third party's address gets no spread sockets") {
  // The hostile peer puts the third party first, where the host would spread.
  const V offered = connect_from_peer({kThirdParty, kPeerLan});
  const auto plan = plan_punch(offered, {kPeerLan}, kVouched);
  CHECK_FALSE(plan.spread);
  CHECK(plan.addresses == V{kThirdParty, kPeerLan});  // the plain punch still tries them (budgeted)
  // Nothing vouched for the peer at all (an older ambassador, or none asked yet): no spread either.
  CHECK_FALSE(plan_punch(connect_from_peer({kPeerPublic}), {kPeerLan}, "").spread);
}

TEST_CASE("nat-ambassador punch plan: the address at the vouched IP goes first and gets the spread") {
  // Claimed third party first, the peer's real public address second: the vouched one leads.
  const V offered = connect_from_peer({kThirdParty, kPeerLan, kPeerPublic});
  const auto plan = plan_punch(offered, {kPeerLan}, kVouched);
  CHECK(plan.spread);
  CHECK(plan.addresses == V{kPeerPublic, kThirdParty, kPeerLan});
  // Another spelling of the same IPv6 address is the same IP.
  const auto v6 = plan_punch({"tcp://[2001:db8::7]:7700"}, {}, "2001:0db8:0:0::7");
  CHECK(v6.spread);
  // The vouched IP but one of the peer's listen addresses (the peer is not behind NAT there):
  // nothing to spread for.
  CHECK_FALSE(plan_punch({kPeerPublic}, {kPeerPublic}, kVouched).spread);
}

TEST_CASE("nat-ambassador punch plan: loopback, unspecified, multicast, broadcast and port 0 get no SYN") {
  const V bad = {"tcp://127.0.0.1:7700",
                 "tcp://127.8.9.10:7700",
                 "tcp://[::1]:7700",
                 "tcp://0.0.0.0:7700",
                 "tcp://[::]:7700",
                 "tcp://0.1.2.3:7700",
                 "tcp://224.0.0.1:7700",
                 "tcp://239.255.255.250:1900",
                 "tcp://[ff02::1]:7700",
                 "tcp://255.255.255.255:7700",
                 "tcp://[::ffff:127.0.0.1]:7700",
                 "tcp://203.0.113.7:0",
                 "tcp://example.org:7700",
                 "udp://203.0.113.7:7700"};
  for (const auto& a : bad) {
    INFO(a);
    CHECK_FALSE(punchable_address(a));
  }
  CHECK(plan_punch(bad, {}, kVouched).addresses.empty());
  CHECK(punchable_address(kPeerPublic));
  CHECK(punchable_address("tcp://[2001:db8::7]:7700"));
  CHECK(punchable_address("tcp://[::ffff:203.0.113.7]:7700"));
  // Filtered before the 4-address cap: the bad ones do not crowd out a good one.
  const auto plan = plan_punch(
      {"tcp://127.0.0.1:1", "tcp://127.0.0.1:2", "tcp://127.0.0.1:3", "tcp://127.0.0.1:4", kPeerPublic}, {}, kVouched);
  CHECK(plan.addresses == V{kPeerPublic});
  CHECK(plan.spread);
}

TEST_CASE("nat-ambassador observe: request and answer round-trip, malformed ones are refused") {
  const std::string id(64, 'a');
  auto req = encode_observe(id);
  std::string why;
  CHECK(nat_type(req.data(), req.size()) == NatType::Observe);
  auto node = decode_observe(req.data(), req.size(), why);
  REQUIRE(node);
  CHECK(*node == id);
  req.push_back(0);
  CHECK_FALSE(decode_observe(req.data(), req.size(), why));
  CHECK(why.find("trailing") != std::string::npos);
  req.resize(10);
  CHECK_FALSE(decode_observe(req.data(), req.size(), why));
  CHECK(why.find("truncated") != std::string::npos);

  auto ans = encode_observed_ip("203.0.113.7");
  auto ip = decode_observed_ip(ans.data(), ans.size(), why);
  REQUIRE(ip);
  CHECK(*ip == "203.0.113.7");
  auto name = encode_observed_ip("example.org");
  CHECK_FALSE(decode_observed_ip(name.data(), name.size(), why));
  CHECK(why.find("numeric") != std::string::npos);
}

TEST_CASE("nat-ambassador spread: the birthday attempt at full width only where exactly one NAT varies ports") {
  const SpreadSize base{4, 4}, hard{256, 200};
  // Both keep ports, or nothing is known: the configured spread.
  CHECK(spread_for(Mapping::Keeps, Mapping::Unknown, base, hard) == base);
  CHECK(spread_for(Mapping::Unknown, Mapping::Unknown, base, hard) == base);
  // This node's NAT varies: it opens many sockets (many mappings) towards the peer.
  CHECK(spread_for(Mapping::Varies, Mapping::Unknown, base, hard) == SpreadSize{256, 4});
  CHECK(spread_for(Mapping::Varies, Mapping::Keeps, base, hard) == SpreadSize{256, 4});
  // The peer's varies: this node guesses many of its ports.
  CHECK(spread_for(Mapping::Keeps, Mapping::Varies, base, hard) == SpreadSize{4, 200});
  CHECK(spread_for(Mapping::Unknown, Mapping::Varies, base, hard) == SpreadSize{4, 200});
  // Both vary: no guess can meet a mapping, so nothing is spent beyond the configured spread.
  CHECK(spread_for(Mapping::Varies, Mapping::Varies, base, hard) == base);
  // A configured spread wider than the hard one is kept; a hard width of 0 turns the attempt off.
  CHECK(spread_for(Mapping::Varies, Mapping::Keeps, SpreadSize{300, 0}, hard) == SpreadSize{300, 0});
  CHECK(spread_for(Mapping::Keeps, Mapping::Varies, SpreadSize{0, 0}, SpreadSize{0, 0}) == SpreadSize{0, 0});
}
