// Which nodes a block transfer asks for an object's blocks, in the order it offers them to
// BlockTransfer::pump (which starts each block at a different one). The Engine decides what it
// knows of each member (proofs, claims); these rules decide the list from that, and nothing else:
// they hold no state and send nothing. Streamed reads keep their own, bounded set of sources
// (StreamReads), which adds and evicts sources one answer at a time.
#pragma once
#include "hash.hpp"
#include "view.hpp"

#include <cstddef>
#include <functional>
#include <vector>

namespace butter::pcg {

// Candidates one get or streamed read asks where the object is (LOCATE), at most. They come from
// search hits, which any peer can claim: without a bound a flood of hits would make one read send
// a LOCATE to, and remember, every node named.
inline constexpr std::size_t kMaxLocateAsks = 4 * kMaxMembers;

// A member filling its copy, or a get on a member still filling: the other members of `view`,
// those that `holds_all` (proved, or claim, to hold every block) first, then the rest (they may
// hold the blocks already, and a claim may be late); each part in view order (by id).
std::vector<Hash> member_sources(const View& view, const Hash& self, const std::function<bool(const Hash&)>& holds_all);

// A get from outside the group, located by `from`'s answer: `from` first (its answer carried the
// manifest the get verified), then members of its view in view order (neither `from` again nor
// `self`), at most `r` in all. The view is `from`'s word alone, so one liar's answer cannot fill
// the list with ids that never answer.
std::vector<Hash> located_sources(const Hash& from, const View& view, const Hash& self, std::size_t r);

}  // namespace butter::pcg
