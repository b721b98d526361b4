// GroupView: the membership of one Peer Content Group as one node believes it, with a version.
//
// Merge rule: views are totally ordered by (version, digest of the member ids); a node adopts any
// view that ranks above its own and ignores the others. Only the group's leader makes a new view,
// always with version = old version + 1. Max over a total order is commutative, associative and
// idempotent, so once the members have heard each other's views (heartbeats carry them) they
// all hold the same one: views converge even when two nodes both changed the group.
//
// Leader rule: the leader is the member with the lowest rendezvous rank(object, node) among the
// members of the reconciled view that the node does not suspect (itself never). Every member
// computes it the same way from the same view, so once suspicions agree exactly one member leads;
// a second leader (a member that suspects the true one) changes the view, which outranks the old
// one, and the conflict settles after one exchange.
#pragma once
#include "hash.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace butter::pcg {

inline constexpr std::size_t kMaxMembers = 64;
inline constexpr std::size_t kMaxEndpoints = 4;
inline constexpr std::size_t kMaxEndpointLen = 255;

struct Member {
  Hash id{};
  std::vector<std::string> endpoints;  // how to reach it (URIs), for members that never met
};

struct View {
  std::uint64_t version = 0;
  std::vector<Member> members;  // sorted by id, unique

  bool contains(const Hash& id) const { return find(id) != nullptr; }
  const Member* find(const Hash& id) const;
  // Adds (or updates the endpoints of) a member; keeps the order.
  void add(Member m);
  bool remove(const Hash& id);
  std::size_t size() const { return members.size(); }
  // The first 8 bytes of SHA-256 over the sorted member ids: the tie-breaker of the order.
  std::uint64_t digest() const;
  bool same_members(const View& o) const;
};

// True when no member of `a` is a member of `b`.
bool disjoint(const View& a, const View& b);

// True when `a` ranks strictly above `b` in the merge order.
bool outranks(const View& a, const View& b);

// The merge rule: the view that ranks higher (a when equal).
const View& merge(const View& a, const View& b);

// The leader of `object`'s group under view `v`: the lowest rank among members for which
// `alive(id)` is true. nullopt when no member is alive.
std::optional<Hash> leader(const Hash& object, const View& v, const std::function<bool(const Hash&)>& alive);

}  // namespace butter::pcg
