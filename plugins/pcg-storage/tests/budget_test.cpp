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
