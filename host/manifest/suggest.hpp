// "Did you mean ...?" for misspelt keys and values: the closest candidate by edit distance, when
// it is close enough to be a likely typo. Internal to the manifest area.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace butter::host::manifest_detail {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters, each one edit; case-sensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close enough: at most a third of the
// shorter length in edits (at least 1, at most 3; a swap of neighbours is one edit), or one word
// a prefix (of 3 or more characters) of the other.
std::string_view closest(std::string_view word, std::span<const std::string_view> candidates);

// ` (did you mean "x"?)` for the closest candidate, or "" when there is none.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace butter::host::manifest_detail
