// The discovery traffic policy: ping schedule back-off and answer rate limiting.
#include "schedule.hpp"

#include <catch2/catch.hpp>

using namespace butter::discovery;

TEST_CASE("a cold node pings fast and backs off only to a bounded fast cap") {
  PingSchedule s(100, 60000);
  CHECK(s.next_delay(false) == 100);
  CHECK(s.next_delay(false) == 200);
  CHECK(s.next_delay(false) == 400);
  CHECK(s.next_delay(false) == 800);
  CHECK(s.next_delay(false) == 800);
}

TEST_CASE("a node that knows peers backs off to the slow interval") {
  PingSchedule s(100, 60000);
  s.next_delay(false);
  std::uint64_t d = 0;
  for (int i = 0; i < 20; ++i) d = s.next_delay(true);
  CHECK(d == 60000);
}

TEST_CASE("an isolated node goes back to fast at once") {
  PingSchedule s(100, 60000);
  for (int i = 0; i < 20; ++i) s.next_delay(true);
  CHECK(s.became_isolated(false));
  CHECK_FALSE(s.became_isolated(false));
  CHECK(s.next_delay(false) == 100);
}

TEST_CASE("a known warm sender is not answered") {
  AnswerPolicy p(10, 1000);
  CHECK(p.on_ping("a", false, true, 0) == Answer::None);
  CHECK(p.on_ping("b", true, true, 0) == Answer::Unicast);
  CHECK(p.on_ping("c", false, false, 0) == Answer::Unicast);
}

TEST_CASE("each source address is answered once per quiet period") {
  AnswerPolicy p(10, 1000);
  CHECK(p.on_ping("10.0.0.1", true, false, 0) == Answer::Unicast);
  CHECK(p.on_ping("10.0.0.1", true, false, 500) == Answer::None);
  CHECK(p.on_ping("10.0.0.2", true, false, 500) == Answer::Unicast);
  CHECK(p.on_ping("10.0.0.1", true, false, 1600) == Answer::Unicast);
}

TEST_CASE("answers to many source addresses are held to the node's answer budget") {
  // A forger can name a new source address with every PING: what bounds the node's answers then is
  // its own bucket (10/s, burst 10) and one ANNOUNCE per quiet period, not the addresses.
  AnswerPolicy p(10, 1000);
  int unicast = 0, announce = 0;
  for (std::uint64_t ms = 0; ms < 10000; ++ms) {
    const std::string from = "10." + std::to_string(ms / 256 % 256) + "." + std::to_string(ms % 256) + ".1";
    switch (p.on_ping(from, true, false, ms)) {
      case Answer::Unicast:
        ++unicast;
        break;
      case Answer::Announce:
        ++announce;
        break;
      case Answer::None:
        break;
    }
  }
  CHECK(unicast <= 10 + 10 * 10);
  CHECK(announce <= 10);
}

TEST_CASE("a crowd of joiners costs a bounded number of answers") {
  AnswerPolicy p(10, 1000);
  int unicast = 0, announce = 0;
  for (int i = 0; i < 1000; ++i) {
    switch (p.on_ping("n" + std::to_string(i), true, false, 0)) {
      case Answer::Unicast:
        ++unicast;
        break;
      case Answer::Announce:
        ++announce;
        break;
      case Answer::None:
        break;
    }
  }
  CHECK(unicast == 10);
  CHECK(announce == 1);
  CHECK(p.suppressed() == 989);
}

TEST_CASE("a sender that got no answer is not silenced for the quiet period") {
  AnswerPolicy p(1, 1000);  // one token per second
  CHECK(p.on_ping("a", true, false, 0) == Answer::Unicast);
  CHECK(p.on_ping("b", true, false, 0) == Answer::Announce);
  CHECK(p.on_ping("c", true, false, 10) == Answer::None);  // joined after the announce, no token left
  // a and b were answered: still quiet for them.
  CHECK(p.on_ping("a", true, false, 900) == Answer::None);
  CHECK(p.on_ping("b", true, false, 900) == Answer::None);
  // c pings again once a token is back, within quiet_ms of its first ping: it is answered now.
  CHECK(p.on_ping("c", true, false, 1010) == Answer::Unicast);
}

TEST_CASE("a PING too small for our PONG is answered by the ANNOUNCE and costs no token") {
  AnswerPolicy p(1, 1000);  // one token
  CHECK(p.on_ping("10.0.0.1", true, false, 0, false) == Answer::Announce);
  CHECK(p.on_ping("10.0.0.2", true, false, 0, false) == Answer::None);    // this period's ANNOUNCE is out
  CHECK(p.on_ping("10.0.0.3", true, false, 0, true) == Answer::Unicast);  // the token is still there
  CHECK(p.on_ping("10.0.0.2", true, false, 1000, false) == Answer::Announce);
}
