// Edit-distance suggestions for unknown keys and values.
#include "manifest/suggest.hpp"

#include <algorithm>
#include <vector>

namespace butter::host::manifest_detail {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view closest(std::string_view word, std::span<const std::string_view> candidates) {
  std::string_view best;
  std::size_t best_distance = 0;
  for (const auto candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    const std::size_t limit = std::clamp<std::size_t>(std::min(word.size(), candidate.size()) / 3, 1, 3);
    if (d == 0 || d > limit) continue;
    if (best.empty() || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  const std::string_view best = closest(word, candidates);
  if (best.empty()) return {};
  return " (did you mean \"" + std::string(best) + "\"?)";
}

}  // namespace butter::host::manifest_detail
