// How much to reserve for a unit (frame, record) that arrives in pieces: shared by FrameDecoder
// and SecureChannel so that both hold memory in proportion to what a peer actually sent.
#pragma once
#include <algorithm>
#include <cstddef>

namespace butter::host {

// The capacity to hold `have` bytes of a unit whose whole length is `whole` (0: not known yet):
// the whole unit once at least half of it is here (one allocation for a large unit that arrives
// in two reads), else what is here, doubling as it grows. Never more than the unit: a peer that
// declares a large unit and sends a few bytes makes this node hold a few bytes.
inline std::size_t partial_capacity(std::size_t have, std::size_t whole, std::size_t current) {
  if (whole == 0) return std::max(have, current);
  if (have >= whole / 2) return whole;
  return std::min(whole, std::max(have, 2 * current));
}

}  // namespace butter::host
