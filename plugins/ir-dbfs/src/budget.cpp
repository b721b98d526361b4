// Message budget arithmetic (see budget.hpp).
#include "budget.hpp"

#include <algorithm>

namespace butter::dbfs {

std::uint32_t accept_budget(std::optional<std::uint16_t> incoming, std::uint32_t policy_max, std::uint32_t legacy) {
  return std::min<std::uint32_t>(incoming ? *incoming : legacy, policy_max);
}

BudgetSplit split_budget(std::uint32_t budget, std::size_t targets, std::uint32_t reserve_per_child) {
  BudgetSplit s;
  s.forwards = static_cast<std::uint32_t>(std::min<std::size_t>(targets, budget));
  std::uint32_t rest = budget - s.forwards;
  if (s.forwards == 0) {
    s.kept = rest;
    return s;
  }
  // 64-bit: forwards x reserve may exceed 32 bits on hostile figures.
  s.kept = static_cast<std::uint32_t>(std::min<std::uint64_t>(rest, std::uint64_t{s.forwards} * reserve_per_child));
  rest -= s.kept;
  s.children.assign(s.forwards, rest / s.forwards);
  for (std::uint32_t i = 0; i < rest % s.forwards; ++i) ++s.children[i];
  return s;
}

std::uint32_t share_for(std::uint32_t budget, std::size_t chosen, std::size_t all) {
  if (chosen == 0) return 0;
  if (all < chosen) all = chosen;
  const std::uint64_t share = std::uint64_t{budget} * chosen / all;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(budget, std::max<std::uint64_t>(share, chosen)));
}

}  // namespace butter::dbfs
