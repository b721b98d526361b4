// "Did you mean ...?" for misspelt keys and values: the closest candidate by edit distance, when
// it is close enough to be a likely typo. Internal to the manifest area.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace butter::host::manifest_detail {

// Levenshtein distance (insertions, deletions, substitutions), case-sensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close enough (at most a third of the
// shorter word's length, at least 1, at most 3 edits).
std::string_view closest(std::string_view word, std::span<const std::string_view> candidates);

// ` (did you mean "x"?)` for the closest candidate, or "" when there is none.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace butter::host::manifest_detail
