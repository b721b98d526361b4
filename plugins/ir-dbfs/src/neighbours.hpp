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
  // `max_per_address`: inbound links one address (its SourceKeys address) may hold at most, so that
  // node ids made for free behind one address cannot take every inbound slot (0: no bound).
  Neighbours(std::size_t max_inbound = 8, std::uint64_t inbound_idle_ms = 600000, std::size_t max_per_address = 0)
      : max_inbound_(max_inbound), idle_ms_(inbound_idle_ms), max_per_address_(max_per_address) {}

  // REQUIRES: no duplicates in `peers`. A peer both chosen and inbound counts once.
  void set_outbound(std::vector<std::string> peers);
  const std::vector<std::string>& outbound() const { return outbound_; }
  // `peer` sent us a query: it counts as a neighbour (if there is room) until idle too long.
  // `address_key` is the sender's address key (empty when unknown or loopback: not bounded by it).
  // Returns false when the peer was not taken (no room, or its address holds its share).
  bool note_inbound(const std::string& peer, std::uint64_t now_ms, const std::string& address_key = {});
  void remove(const std::string& peer);
  // `peer` withdrew its link to us (it chose another neighbour): its inbound slot is free at once,
  // instead of after the idle timeout. Returns whether it held one.
  bool drop_inbound(const std::string& peer) { return inbound_.erase(peer) > 0; }
  // Outbound then live inbound, without duplicates.
  std::vector<std::string> all(std::uint64_t now_ms) const;
  std::size_t inbound_count(std::uint64_t now_ms) const;

  // `peer` did not take our LINK (it answered UNLINK): it stops being an outbound neighbour and is
  // not chosen again before `until_ms`. At most kMaxRefusals peers are remembered (the refusal that
  // ends first is forgotten first), so a flood of UNLINKs holds bounded memory.
  static constexpr std::size_t kMaxRefusals = 256;
  void refused_by(const std::string& peer, std::uint64_t until_ms);
  bool refuses(const std::string& peer, std::uint64_t now_ms) const;

 private:
  struct Inbound {
    std::uint64_t last_ms = 0;  // last query or LINK from it
    std::string address;        // its address key
  };
  std::size_t max_inbound_;
  std::uint64_t idle_ms_;
  std::size_t max_per_address_;
  std::vector<std::string> outbound_;
  std::map<std::string, Inbound> inbound_;
  std::map<std::string, std::uint64_t> refusals_;  // peer -> until when it is not chosen
};

}  // namespace butter::dbfs
