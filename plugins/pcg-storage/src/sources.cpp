// The source lists of block transfers (sources.hpp).
#include "sources.hpp"

namespace butter::pcg {

std::vector<Hash> member_sources(const View& view, const Hash& self,
                                 const std::function<bool(const Hash&)>& holds_all) {
  std::vector<Hash> first, rest;
  for (const auto& m : view.members) {
    if (m.id == self) continue;
    (holds_all(m.id) ? first : rest).push_back(m.id);
  }
  first.insert(first.end(), rest.begin(), rest.end());
  return first;
}

std::vector<Hash> located_sources(const Hash& from, const View& view, const Hash& self, std::size_t r) {
  std::vector<Hash> sources{from};
  for (const auto& m : view.members)
    if (sources.size() < r && m.id != from && m.id != self) sources.push_back(m.id);
  return sources;
}

}  // namespace butter::pcg
