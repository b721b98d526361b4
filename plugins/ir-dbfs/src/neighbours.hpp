// The overlay neighbours of a node: a bounded set it chose (from the known-host cache), plus the
// peers that chose it, learnt from the queries they send (bounded, forgotten when idle). Queries
// are forwarded over the union, so links work both ways as in Gnutella.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace butter::dbfs {

class Neighbours {
 public:
  Neighbours(std::size_t max_inbound = 8, std::uint64_t inbound_idle_ms = 600000)
      : max_inbound_(max_inbound), idle_ms_(inbound_idle_ms) {}

  // REQUIRES: no duplicates in `peers`. A peer both chosen and inbound counts once.
  void set_outbound(std::vector<std::string> peers);
  const std::vector<std::string>& outbound() const { return outbound_; }
  // `peer` sent us a query: it counts as a neighbour (if there is room) until idle too long.
  void note_inbound(const std::string& peer, std::uint64_t now_ms);
  void remove(const std::string& peer);
  // Outbound then live inbound, without duplicates.
  std::vector<std::string> all(std::uint64_t now_ms) const;
  std::size_t inbound_count(std::uint64_t now_ms) const;

 private:
  std::size_t max_inbound_;
  std::uint64_t idle_ms_;
  std::vector<std::string> outbound_;
  std::map<std::string, std::uint64_t> inbound_;  // peer -> last query from it
};

}  // namespace butter::dbfs
