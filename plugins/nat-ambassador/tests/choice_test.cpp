// Choosing an ambassador by quality among the public hosts that serve.
#include "choice.hpp"

#include <catch2/catch.hpp>

using namespace butter::nat;

TEST_CASE("nat-ambassador picks the best ambassador by quality") {
  std::vector<AmbassadorCandidate> c = {
      {"b", 3, 100, 0, 16, false},
      {"a", 5, 10, 4, 16, false},
      {"c", 5, 50, 0, 16, false},
  };
  CHECK(pick_ambassador(c) == std::optional<std::string>("c"));
  c[2].excluded = true;
  CHECK(pick_ambassador(c) == std::optional<std::string>("a"));
  c[1].clients = 16;  // full
  CHECK(pick_ambassador(c) == std::optional<std::string>("b"));
  c[0].excluded = true;
  CHECK_FALSE(pick_ambassador(c));
  CHECK_FALSE(pick_ambassador({}));
}

TEST_CASE("nat-ambassador breaks ties by fewer clients then by id") {
  std::vector<AmbassadorCandidate> c = {
      {"z", -1, 0, 2, 16, false},
      {"y", -1, 0, 1, 16, false},
      {"x", -1, 0, 1, 16, false},
  };
  CHECK(pick_ambassador(c) == std::optional<std::string>("x"));
}
