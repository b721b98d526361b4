// Start order of a node's plugin instances: Kahn's algorithm over "provider before dependent"
// edges, with manifest order breaking ties. Errors are all collected before giving up:
// interfaces provided twice, required interfaces nobody provides, and cycles (one message per
// strongly connected component, naming one cycle through it).
//
// `optional` edges are added after the required graph is known to be acyclic, one at a time in
// manifest order, and only when they do not close a cycle: optional use orders, never fails.
#include "loader/dependency_graph.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <set>

namespace butter::host {
namespace {

std::string pos_text(const SourcePos& pos) {
  std::string out = pos.file.empty() ? std::string("?") : pos.file;
  if (pos.line != 0) {
    out += ":" + std::to_string(pos.line);
    if (pos.column != 0) out += ":" + std::to_string(pos.column);
  }
  return out;
}

using Adjacency = std::vector<std::set<std::size_t>>;  // sets: deterministic iteration order

// Tarjan's strongly connected components over `deps` (i -> the nodes i requires).
std::vector<std::vector<std::size_t>> strongly_connected(const Adjacency& deps) {
  const std::size_t n = deps.size();
  constexpr std::size_t kUnvisited = static_cast<std::size_t>(-1);
  std::vector<std::size_t> index(n, kUnvisited), low(n, 0);
  std::vector<bool> on_stack(n, false);
  std::vector<std::size_t> stack;
  std::vector<std::vector<std::size_t>> out;
  std::size_t next = 0;
  std::function<void(std::size_t)> visit = [&](std::size_t v) {
    index[v] = low[v] = next++;
    stack.push_back(v);
    on_stack[v] = true;
    for (std::size_t w : deps[v]) {
      if (index[w] == kUnvisited) {
        visit(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack[w]) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] == index[v]) {
      std::vector<std::size_t> comp;
      std::size_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = false;
        comp.push_back(w);
      } while (w != v);
      std::sort(comp.begin(), comp.end());
      out.push_back(std::move(comp));
    }
  };
  for (std::size_t v = 0; v < n; ++v) {
    if (index[v] == kUnvisited) visit(v);
  }
  std::sort(out.begin(), out.end());  // by smallest member: manifest order
  return out;
}

// The shortest cycle from `start` back to itself inside `comp` (BFS, neighbours in index order).
std::vector<std::size_t> cycle_through(std::size_t start, const std::vector<std::size_t>& comp, const Adjacency& deps) {
  const std::set<std::size_t> members(comp.begin(), comp.end());
  std::map<std::size_t, std::size_t> parent;
  std::queue<std::size_t> q;
  q.push(start);
  while (!q.empty()) {
    const std::size_t v = q.front();
    q.pop();
    for (std::size_t w : deps[v]) {
      if (!members.count(w)) continue;
      if (w == start) {
        std::vector<std::size_t> path{start};
        for (std::size_t u = v; u != start; u = parent[u]) path.push_back(u);
        std::reverse(path.begin() + 1, path.end());
        path.push_back(start);
        return path;
      }
      if (!parent.count(w)) {
        parent[w] = v;
        q.push(w);
      }
    }
  }
  return {start, start};  // not reached for a real cycle
}

// True when `to` is reachable from `from` following `deps`.
bool reaches(std::size_t from, std::size_t to, const Adjacency& deps) {
  std::vector<bool> seen(deps.size(), false);
  std::vector<std::size_t> todo{from};
  while (!todo.empty()) {
    const std::size_t v = todo.back();
    todo.pop_back();
    if (v == to) return true;
    if (seen[v]) continue;
    seen[v] = true;
    for (std::size_t w : deps[v]) todo.push_back(w);
  }
  return false;
}

}  // namespace

std::optional<std::vector<std::size_t>> order_plugins(const std::vector<GraphNode>& nodes, Diagnostics& diags) {
  const std::size_t n = nodes.size();
  bool failed = false;

  // Who provides what (the first provider in manifest order, for continuing after an error).
  std::map<std::string, std::size_t> provider;
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& iface : nodes[i].provides) {
      auto [it, inserted] = provider.emplace(iface, i);
      if (!inserted && it->second != i) {
        const GraphNode& first = nodes[it->second];
        diags.add(nodes[i].pos, iface + " is provided by both '" + first.instance + "' (" + pos_text(first.pos) +
                                    ") and '" + nodes[i].instance + "'");
        failed = true;
      }
    }
  }

  // deps[i]: the nodes i requires (they start before i).
  Adjacency deps(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& iface : nodes[i].required) {
      auto it = provider.find(iface);
      if (it == provider.end()) {
        diags.add(nodes[i].pos, "plugin '" + nodes[i].instance + "' requires " + iface +
                                    ", which no plugin in this manifest provides");
        failed = true;
        continue;
      }
      deps[i].insert(it->second);  // a node requiring what it provides is a cycle of one
    }
  }

  for (const auto& comp : strongly_connected(deps)) {
    const std::size_t first = comp.front();
    if (comp.size() == 1 && !deps[first].count(first)) continue;
    std::string text;
    for (std::size_t v : cycle_through(first, comp, deps)) {
      if (!text.empty()) text += " -> ";
      text += nodes[v].instance;
    }
    diags.add(nodes[first].pos, "dependency cycle: " + text);
    failed = true;
  }
  if (failed) return std::nullopt;

  // Optional uses: order only, never a cycle.
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& iface : nodes[i].optional) {
      auto it = provider.find(iface);
      if (it == provider.end() || it->second == i) continue;
      if (reaches(it->second, i, deps)) continue;  // the provider already (transitively) needs i
      deps[i].insert(it->second);
    }
  }

  // Kahn: a node is ready when everything it depends on has started; the smallest index first.
  std::vector<std::size_t> waiting(n, 0);
  std::vector<std::vector<std::size_t>> dependents(n);
  for (std::size_t i = 0; i < n; ++i) {
    waiting[i] = deps[i].size();
    for (std::size_t d : deps[i]) dependents[d].push_back(i);
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (waiting[i] == 0) ready.push(i);
  }
  std::vector<std::size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    const std::size_t v = ready.top();
    ready.pop();
    order.push_back(v);
    for (std::size_t w : dependents[v]) {
      if (--waiting[w] == 0) ready.push(w);
    }
  }
  return order;  // complete: the graph is acyclic by construction
}

}  // namespace butter::host
