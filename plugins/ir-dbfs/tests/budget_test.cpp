// The message budget arithmetic (budget.hpp): what a node spends, keeps and hands down never
// exceeds what it accepted, and incoming budgets are clamped to the node's maximum.
#include "budget.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

using namespace butter::dbfs;

TEST_CASE("budget split spends one per forward and hands down the rest evenly") {
  for (std::uint32_t budget = 0; budget <= 300; ++budget) {
    for (std::size_t targets = 0; targets <= 20; ++targets) {
      for (std::uint32_t reserve = 0; reserve <= 8; ++reserve) {
        const BudgetSplit s = split_budget(budget, targets, reserve);
        const std::uint64_t handed = std::accumulate(s.children.begin(), s.children.end(), std::uint64_t{0});
        INFO("budget " << budget << " targets " << targets << " reserve " << reserve);
        REQUIRE(s.forwards == std::min<std::size_t>(targets, budget));
        REQUIRE(s.children.size() == s.forwards);
        REQUIRE(s.forwards + s.kept + handed == budget);  // never more: the network-wide bound
        REQUIRE(s.kept <= std::max<std::uint64_t>(std::uint64_t{s.forwards} * reserve, s.forwards ? 0 : budget));
        if (!s.children.empty()) {
          const auto [lo, hi] = std::minmax_element(s.children.begin(), s.children.end());
          REQUIRE(*hi - *lo <= 1);
        }
      }
    }
  }
  // Hostile figures do not overflow.
  const BudgetSplit big = split_budget(65535, 1000, 0xFFFFFFFFu);
  CHECK(big.forwards == 1000);
  CHECK(big.kept == 65535 - 1000);
  CHECK(big.children == std::vector<std::uint32_t>(1000, 0));
}

TEST_CASE("budget of an incoming query is clamped to the node's maximum") {
  CHECK(accept_budget(std::uint16_t{65535}, 1024, 64) == 1024);
  CHECK(accept_budget(std::uint16_t{100}, 1024, 64) == 100);
  CHECK(accept_budget(std::uint16_t{0}, 1024, 64) == 0);
  CHECK(accept_budget(std::nullopt, 1024, 64) == 64);  // a version-1 query: the conservative default
  CHECK(accept_budget(std::nullopt, 10, 64) == 10);    // which is clamped too
}

TEST_CASE("budget share of the source is equal per neighbour") {
  CHECK(share_for(1024, 2, 8) == 256);
  CHECK(share_for(1024, 8, 8) == 1024);
  CHECK(share_for(1024, 0, 8) == 0);
  CHECK(share_for(3, 2, 100) == 2);  // one QUERY each when the budget allows
  CHECK(share_for(1, 2, 100) == 1);
  CHECK(share_for(1024, 4, 2) == 1024);  // never more than the budget
}
