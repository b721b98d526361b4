// The reachability verdict: quorum to decide, hysteresis against flapping.
#include "verdict.hpp"

#include <catch2/catch.hpp>

using namespace butter::nat;

TEST_CASE("nat-ambassador verdict needs a quorum of distinct peers") {
  Verdict v(2);
  CHECK(v.state() == Reach::Unknown);
  CHECK_FALSE(v.observe("p1", true));
  CHECK_FALSE(v.observe("p1", true));  // the same peer twice is one vote
  CHECK(v.state() == Reach::Unknown);
  CHECK(v.observe("p2", true));
  CHECK(v.state() == Reach::Public);

  Verdict w(3);
  w.observe("a", false);
  w.observe("b", false);
  CHECK(w.state() == Reach::Unknown);
  CHECK(w.observe("c", false));
  CHECK(w.state() == Reach::Private);
}

TEST_CASE("nat-ambassador verdict does not flap on one failure") {
  Verdict v(2);
  v.observe("p1", true);
  v.observe("p2", true);
  REQUIRE(v.state() == Reach::Public);
  CHECK_FALSE(v.observe("p3", false));
  CHECK(v.state() == Reach::Public);
  CHECK_FALSE(v.observe("p3", false));  // the same dissenter again does not count twice
  CHECK(v.state() == Reach::Public);
  CHECK_FALSE(v.observe("p1", true));  // an agreeing result resets the streak
  CHECK(v.streak() == 0);
  CHECK_FALSE(v.observe("p2", false));
  CHECK(v.state() == Reach::Public);
  CHECK(v.observe("p3", false));  // two distinct dissenters in a row: flip
  CHECK(v.state() == Reach::Private);
  // And back only with the same evidence.
  CHECK_FALSE(v.observe("p1", true));
  CHECK(v.state() == Reach::Private);
  CHECK(v.observe("p2", true));
  CHECK(v.state() == Reach::Public);
}

TEST_CASE("nat-ambassador verdict can be forced") {
  Verdict v(2);
  CHECK(v.force(Reach::Private));
  CHECK_FALSE(v.force(Reach::Private));
  CHECK(v.state() == Reach::Private);
  Verdict one(0);  // a quorum of 0 means 1
  CHECK(one.quorum() == 1);
  CHECK(one.observe("x", true));
}
