// LocateAsks (locate_asks.hpp).
#include "locate_asks.hpp"

#include <iterator>

namespace butter::pcg {

std::vector<Hash> LocateAsks::due(std::uint64_t now) {
  for (auto it = asking_.begin(); it != asking_.end();) it = now >= it->second ? asking_.erase(it) : std::next(it);
  std::vector<Hash> again;
  for (auto it = retry_.begin(); it != retry_.end();) {
    if (now < it->second) {
      ++it;
      continue;
    }
    again.push_back(it->first);
    it = retry_.erase(it);
  }
  return again;
}

}  // namespace butter::pcg
