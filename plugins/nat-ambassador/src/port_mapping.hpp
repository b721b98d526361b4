// PortMapping: whether this node's NAT keeps the source port of its connections, from what peers
// report (the Mapping request, messages.hpp): each observer says which port it sees one of our
// tcp connections come from, and we compare it with that socket's own local port.
//
// Why it matters: the plain punch is a simultaneous open from the listen port, aimed at a peer's
// public IP with the same port, which works where both NATs keep ports (endpoint-independent,
// port-preserving: most home routers). A NAT that gives each connection a fresh port (Linux
// "masquerade random", many carrier-grade and "symmetric" NATs) is punched only by the birthday
// attempt: the side behind it opens many sockets (many mappings), the other side guesses many
// ports of its IP (punch_plan.hpp, spread_for). Each side must know which it is to play its part.
//
// Hostile peers: an observer can lie about the port. One observer, one vote (its latest); a
// verdict needs `quorum` distinct observers agreeing and more votes than the other way. A lie that
// wins costs this node only its own SYNs within the host's punch budget, or a punch that fails
// and leaves the relay in place. Bounded: kMaxObservers votes, each forgotten after `ttl`.
// Pure logic, times in ms from the caller's clock.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace butter::nat {

enum class Mapping { Unknown, Keeps, Varies };
const char* mapping_name(Mapping m);

class PortMapping {
 public:
  static constexpr std::size_t kMaxObservers = 16;

  PortMapping(unsigned quorum, std::uint64_t ttl_ms) : quorum_(quorum ? quorum : 1), ttl_ms_(ttl_ms) {}

  // `observer` saw our socket bound to `local_port` at `observed_port` outside. Ports of 0 are
  // ignored (nothing to compare).
  void observe(const std::string& observer, std::uint16_t local_port, std::uint16_t observed_port,
               std::uint64_t now_ms);
  Mapping verdict(std::uint64_t now_ms) const;
  std::size_t votes(std::uint64_t now_ms) const;
  void expire(std::uint64_t now_ms);

 private:
  struct Vote {
    bool kept = false;
    std::uint64_t at_ms = 0;
  };
  std::map<std::string, Vote> by_observer_;
  unsigned quorum_;
  std::uint64_t ttl_ms_;
};

}  // namespace butter::nat
