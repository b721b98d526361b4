// Budget accounting: greedy up to the capacity, refusal with a clear reason beyond it.
#include "budget.hpp"

#include <catch2/catch.hpp>

using namespace butter::pcg;

TEST_CASE("the budget accepts up to its capacity and refuses beyond it") {
  Budget b(1000);
  std::string why;
  CHECK(b.reserve(600, why));
  CHECK(b.reserve(400, why));
  CHECK(b.free() == 0);
  CHECK_FALSE(b.reserve(1, why));
  CHECK(why.find("storage budget exceeded") != std::string::npos);
  CHECK(why.find("needs 1 bytes") != std::string::npos);
  CHECK(b.used() == 1000);
  b.release(600);
  CHECK(b.free() == 600);
  CHECK_FALSE(b.reserve(601, why));
  CHECK(b.reserve(600, why));
  b.release(5000);  // never below zero
  CHECK(b.used() == 0);
}

TEST_CASE("per-peer quotas bound each peer on its own and give back what was released") {
  PeerQuota q(1000);
  const auto a = butter::pcg::sha256("a"), b = butter::pcg::sha256("b");
  std::string why;
  CHECK(q.reserve(a, 600, why));
  CHECK_FALSE(q.reserve(a, 401, why));
  CHECK(why.find("peer quota exceeded") != std::string::npos);
  CHECK(why.find("would hold 1001 bytes") != std::string::npos);
  CHECK(q.used(a) == 600);
  CHECK(q.reserve(b, 1000, why));  // another peer has a quota of its own
  CHECK_FALSE(q.reserve(b, 1, why));
  CHECK_FALSE(q.reserve(a, ~0ull, why));  // no overflow past the limit
  q.release(a, 600);
  CHECK(q.used(a) == 0);
  CHECK(q.peers() == 1);  // a peer with nothing charged has no entry
  q.release(b, 5000);     // never below zero
  CHECK(q.peers() == 0);
}
