// What the engine tells about the objects and groups it holds (see engine.hpp).
#include "engine.hpp"

#include <algorithm>

namespace butter::pcg {

std::vector<ObjectInfo> Engine::list() const {
  std::vector<ObjectInfo> out;
  for (const auto& [id, g] : groups_) {
    if (!g.complete) continue;
    out.push_back(
        ObjectInfo{id, g.manifest.size, g.manifest.keywords, static_cast<std::uint32_t>(g.view.size()), true});
  }
  return out;
}

std::optional<ObjectInfo> Engine::lookup(const Hash& id) const {
  auto it = groups_.find(id);
  if (it == groups_.end() || !it->second.complete) return std::nullopt;
  const Group& g = it->second;
  return ObjectInfo{id, g.manifest.size, g.manifest.keywords, static_cast<std::uint32_t>(g.view.size()), true};
}

std::size_t Engine::retiring_count() const {
  std::size_t n = 0;
  for (const auto& [id, g] : groups_)
    if (g.retiring(self_)) ++n;
  return n;
}

bool Engine::is_member(const Hash& id) const {
  auto it = groups_.find(id);
  return it != groups_.end() && !it->second.retiring(self_);
}

bool Engine::holds(const Hash& id) const {
  auto it = groups_.find(id);
  return it != groups_.end() && it->second.complete;
}

const View* Engine::view_of(const Hash& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second.view;
}

const std::vector<std::uint8_t>* Engine::manifest_of(const Hash& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second.manifest_bytes;
}

const std::vector<std::vector<std::uint8_t>>* Engine::blocks_of(const Hash& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() || !it->second.complete ? nullptr : &it->second.data.blocks();
}

std::vector<Hash> Engine::proven_members(const Hash& id) const {
  std::vector<Hash> out;
  auto it = groups_.find(id);
  if (it == groups_.end()) return out;
  for (const auto& m : it->second.view.members)
    if (m.id == self_ ? it->second.complete : it->second.is_proven(m.id)) out.push_back(m.id);
  return out;
}

std::size_t Engine::groups_below_r() const {
  std::size_t n = 0;
  for (const auto& [id, g] : groups_)
    if (g.view.size() < cfg_.r && !g.retiring(self_)) ++n;
  return n;
}

std::optional<Hash> Engine::leader_of(const Hash& id, std::uint64_t now) const {
  auto it = groups_.find(id);
  if (it == groups_.end()) return std::nullopt;
  const Group& g = it->second;
  return leader(id, g.view, [&](const Hash& m) { return !suspected(g, m, now); });
}

}  // namespace butter::pcg
