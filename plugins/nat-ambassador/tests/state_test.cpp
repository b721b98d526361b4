// The plugin's per-concern state that needs no host: Vouches (vouch.hpp), an upgrade's backoff
// (upgrade.hpp) and a private node's own ambassador (ambassador.hpp).
#include "ambassador.hpp"
#include "upgrade.hpp"
#include "vouch.hpp"

#include <catch2/catch.hpp>

#include <string>

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
  ups.offers["a"] = Upgrades::Offer{{"tcp://198.18.0.1:1"}, {}, 100};
  ups.offers["b"] = Upgrades::Offer{{"tcp://198.18.0.2:1"}, {}, 200};
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
