// Edit-distance suggestions for unknown keys and values.
#include "manifest/suggest.hpp"

#include <algorithm>
#include <vector>

namespace butter::host::manifest_detail {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus the transposition of two adjacent characters
  // ("nmae" -> "name" is one edit). Three rows suffice.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string_view closest(std::string_view word, std::span<const std::string_view> candidates) {
  std::string_view best;
  std::size_t best_distance = 0;
  for (const auto candidate : candidates) {
    if (candidate == word) continue;
    const std::size_t d = edit_distance(word, candidate);
    const std::size_t shorter = std::min(word.size(), candidate.size());
    const std::size_t limit = std::clamp<std::size_t>(shorter / 3, 1, 3);
    // One word cut short or run on ("warning" for "warn", "memory" for "memory_budget").
    const bool prefix = shorter >= 3 && (word.starts_with(candidate) || candidate.starts_with(word));
    if (d > limit && !prefix) continue;
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
