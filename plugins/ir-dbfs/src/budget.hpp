// The message budget of a query: the most messages (QUERY forwards and EXTEND relays) one query may
// still cause in the part of the network a node hands it on to. Why: a TTL bounds depth, not cost
// (TTL 7 on degree 8 reaches everyone), and a seen-cache only stops a node from processing a query
// twice, not its neighbours from sending it twice. With a budget, one query costs at most the
// budget its first receiver accepted, whatever its TTL or the topology.
//
// Invariant kept by every node: messages it sends for a query + budgets it hands to its children
// <= the budget it accepted. By induction over the query's tree the whole network sends at most
// that many QUERY and EXTEND messages for the query.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

namespace butter::dbfs {

// The budget a node accepts for an incoming query: the sender's figure clamped to this node's
// policy maximum; `legacy` (also clamped) when the query carries none (a version-1 QUERY).
std::uint32_t accept_budget(std::optional<std::uint16_t> incoming, std::uint32_t policy_max, std::uint32_t legacy);

struct BudgetSplit {
  std::uint32_t forwards = 0;           // QUERY messages to send now (one per target, the first ones)
  std::uint32_t kept = 0;               // kept by this node for later messages (EXTEND relays)
  std::vector<std::uint32_t> children;  // budget handed to each of the `forwards` targets
};

// Splits `budget` for forwarding to up to `targets` neighbours: one unit per QUERY sent (at most
// `budget` targets), `reserve_per_child` units per target kept for EXTEND relays (as far as the
// budget goes), and the rest shared as evenly as possible among the targets.
// Ensures: forwards + kept + sum(children) == budget, children.size() == forwards.
BudgetSplit split_budget(std::uint32_t budget, std::size_t targets, std::uint32_t reserve_per_child);

// The part of the source's budget for `chosen` of its `all` neighbours: an equal share per
// neighbour, so that the neighbours left for widening get theirs later. At least `chosen` (one
// QUERY each) when the budget allows it.
std::uint32_t share_for(std::uint32_t budget, std::size_t chosen, std::size_t all);

}  // namespace butter::dbfs
