// Group views: ordering, merge and the leader rule (see view.hpp).
#include "view.hpp"

#include <butter/wire.hpp>

#include <algorithm>

namespace butter::pcg {

const Member* View::find(const Hash& id) const {
  auto it =
      std::lower_bound(members.begin(), members.end(), id, [](const Member& m, const Hash& h) { return m.id < h; });
  return it != members.end() && it->id == id ? &*it : nullptr;
}

void View::add(Member m) {
  auto it =
      std::lower_bound(members.begin(), members.end(), m.id, [](const Member& x, const Hash& h) { return x.id < h; });
  if (it != members.end() && it->id == m.id) {
    if (!m.endpoints.empty()) it->endpoints = std::move(m.endpoints);
    return;
  }
  members.insert(it, std::move(m));
}

bool View::remove(const Hash& id) {
  auto it =
      std::lower_bound(members.begin(), members.end(), id, [](const Member& x, const Hash& h) { return x.id < h; });
  if (it == members.end() || it->id != id) return false;
  members.erase(it);
  return true;
}

std::uint64_t View::digest() const {
  std::string buf;
  buf.reserve(members.size() * 32);
  for (const auto& m : members) buf.append(reinterpret_cast<const char*>(m.id.data()), m.id.size());
  const Hash h = sha256(buf);
  return wire::Reader(h.data(), 8).u64();  // big-endian: the same order on every machine
}

bool View::same_members(const View& o) const {
  if (members.size() != o.members.size()) return false;
  for (std::size_t i = 0; i < members.size(); ++i)
    if (members[i].id != o.members[i].id) return false;
  return true;
}

bool disjoint(const View& a, const View& b) {
  for (const auto& m : a.members)
    if (b.contains(m.id)) return false;
  return true;
}

bool outranks(const View& a, const View& b) {
  if (a.version != b.version) return a.version > b.version;
  if (a.same_members(b)) return false;
  return a.digest() > b.digest();
}

const View& merge(const View& a, const View& b) { return outranks(b, a) ? b : a; }

std::optional<Hash> leader(const Hash& object, const View& v, const std::function<bool(const Hash&)>& alive) {
  std::optional<Hash> best;
  std::uint64_t best_rank = 0;
  for (const auto& m : v.members) {
    if (!alive(m.id)) continue;
    const std::uint64_t r = rank(object, m.id);
    if (!best || r < best_rank || (r == best_rank && m.id < *best)) {
      best = m.id;
      best_rank = r;
    }
  }
  return best;
}

}  // namespace butter::pcg
