// The plugin's per-concern state that needs no host: Vouches (vouch.hpp), an upgrade's backoff
// (upgrade.hpp), a private node's own ambassador (ambassador.hpp), and an ambassador's clients
// and circuits and the relayed streams (relay.hpp).
#include "ambassador.hpp"
#include "relay.hpp"
#include "upgrade.hpp"
#include "vouch.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

using butter::nat::MyAmbassador;
using butter::nat::Upgrades;
using butter::nat::Vouches;

TEST_CASE("nat-ambassador vouches: the peer vouched for longest ago makes room, reading does not refresh") {
  Vouches v;
  for (std::size_t i = 0; i < Vouches::kMax; ++i)
    v.remember("peer" + std::to_string(i), "198.18.0." + std::to_string(i % 250));
  CHECK(v.ip_of("peer0") == "198.18.0.0");  // read: still the oldest
  v.remember("peer1", "198.18.1.1");        // vouched again: now the newest
  v.remember("new", "198.18.2.2");          // full: peer0 goes
  CHECK(v.ip_of("peer0").empty());
  CHECK(v.ip_of("peer1") == "198.18.1.1");
  CHECK(v.ip_of("new") == "198.18.2.2");
  v.remember("newer", "198.18.2.3");  // full again: peer2 goes (peer1 was refreshed)
  CHECK(v.ip_of("peer2").empty());
  CHECK(v.ip_of("peer1") == "198.18.1.1");
  v.forget("new");
  CHECK(v.ip_of("new").empty());
  CHECK(v.ip_of("unknown").empty());
}

TEST_CASE("nat-ambassador upgrade: a failed punch backs off, doubling per attempt up to 60 s, and success resets it") {
  Upgrades::Upgrade u;
  u.begin(1000);
  CHECK(u.running);
  CHECK(u.attempts == 1);
  CHECK(u.failed("timeout", 2000, 2000) == 2000);  // first attempt: the backoff itself
  CHECK_FALSE(u.running);
  CHECK(u.last == "timeout");
  CHECK(u.next_try_ms == 4000);
  u.begin(4000);
  CHECK(u.failed("timeout", 5000, 2000) == 4000);  // second: doubled
  for (int i = 0; i < 10; ++i) u.begin(0);
  CHECK(u.failed("refused", 0, 2000) == 60000);  // capped
  u.begin(10);
  u.succeeded();
  CHECK(u.last == "direct");
  CHECK(u.attempts == 0);
  CHECK_FALSE(u.running);
}

TEST_CASE("nat-ambassador upgrades: offers expire after their deadline") {
  Upgrades ups;
  ups.offers["a"] = Upgrades::Offer{{"tcp://198.18.0.1:1"}, false, {}, 100};
  ups.offers["b"] = Upgrades::Offer{{"tcp://198.18.0.2:1"}, false, {}, 200};
  ups.expire_offers(100);  // "a" ends after 100, not at it
  CHECK(ups.offers.size() == 2);
  ups.expire_offers(150);
  CHECK(ups.offers.count("a") == 0);
  CHECK(ups.offers.count("b") == 1);
}

TEST_CASE("nat-ambassador own ambassador: only a replacement after a failure counts as a move") {
  MyAmbassador a;
  CHECK_FALSE(a.adopt("amb1", "relay://amb1@tcp://198.18.0.1:7700/me"));  // the first one
  CHECK(a.moves == 0);
  CHECK(a.id == "amb1");
  a.failed(5000);  // amb1 kept away until 5000
  a.clear();
  CHECK(a.id.empty());
  CHECK(a.relay_endpoint.empty());
  CHECK(a.excluded("amb1", 4999));
  CHECK_FALSE(a.excluded("amb1", 5000));  // lapsed, and forgotten
  CHECK_FALSE(a.excluded("amb1", 0));
  CHECK(a.adopt("amb2", "relay://amb2@tcp://198.18.0.2:7700/me"));
  CHECK(a.moves == 1);
  a.clear();
  CHECK_FALSE(a.adopt("amb3", "relay://amb3@tcp://198.18.0.3:7700/me"));  // left without a failure
  CHECK(a.moves == 1);
}

TEST_CASE("nat-ambassador clients: a refresh is not a new client, and silent ones expire") {
  butter::nat::Clients c;
  CHECK(c.refresh("a", 100));
  CHECK_FALSE(c.refresh("a", 200));  // refreshed, not new
  CHECK(c.refresh("b", 150));
  CHECK(c.size() == 2);
  CHECK(c.expire(1150, 1000).empty());  // b: 1000 ms silent is not more than 1000
  CHECK(c.expire(1151, 1000) == std::vector<std::string>{"b"});
  CHECK(c.has("a"));
  CHECK_FALSE(c.has("b"));
  CHECK(c.remove("a"));
  CHECK_FALSE(c.remove("a"));
}

TEST_CASE("nat-ambassador circuits: the by-origin index follows the circuits") {
  butter::nat::Circuits c;
  const auto r1 = c.open("origin", 7, "client", 1000);
  const auto r2 = c.open("other", 7, "client", 2000);
  CHECK(r1 != r2);
  CHECK(c.size() == 2);
  CHECK(c.by_origin("origin", 7) == r1);
  CHECK_FALSE(c.by_origin("origin", 8));
  CHECK(c.joins("client", "origin"));
  CHECK(c.joins("origin", "client"));
  CHECK_FALSE(c.joins("origin", "other"));
  CHECK(c.with_target("client") == std::vector<std::uint64_t>{r1, r2});
  CHECK(c.older_than(3000, 1500) == std::vector<std::uint64_t>{r1});
  using Use = std::vector<std::pair<std::uint64_t, bool>>;
  CHECK(c.using_peer("origin") == Use{{r1, true}});
  CHECK(c.using_peer("client") == Use{{r1, false}, {r2, false}});

  auto taken = c.take(r1);
  REQUIRE(taken);
  CHECK(taken->origin == "origin");
  CHECK(taken->origin_stream == 7);
  CHECK_FALSE(c.by_origin("origin", 7));  // gone from the index with it
  CHECK_FALSE(c.take(r1));
  CHECK(c.find(r1) == nullptr);
  REQUIRE(c.find(r2) != nullptr);
  std::set<std::string> ends;
  c.ends(ends);
  CHECK(ends == std::set<std::string>{"other", "client"});
}

TEST_CASE("nat-ambassador relayed streams: the inbound index follows the streams") {
  butter::nat::RelayStreams s;
  butter::nat::RelayStreams::Stream in;
  in.inbound = true;
  in.ambassador = "amb";
  in.wire_id = 42;
  s.add(5, in);
  butter::nat::RelayStreams::Stream out;
  out.ambassador = "amb";
  out.wire_id = 6;
  s.add(6, out);
  CHECK(s.inbound("amb", 42) == 5u);
  CHECK_FALSE(s.inbound("amb", 6));  // outbound streams are not in the inbound index
  CHECK(s.through("amb", true) == std::vector<std::uint64_t>{5});
  CHECK(s.through("amb", false) == std::vector<std::uint64_t>{5, 6});
  REQUIRE(s.take(5));
  CHECK_FALSE(s.inbound("amb", 42));
  CHECK_FALSE(s.take(5));
  CHECK(s.size() == 1);
  std::set<std::string> ambassadors;
  s.ambassadors(ambassadors);
  CHECK(ambassadors == std::set<std::string>{"amb"});
}
