// Heartbeats: this node's heartbeat rounds, its side of the members' liveness. One round per
// heartbeat interval (+- jitter, so that the rounds of different nodes do not line up); in a round
// every other member of every group this node is in gets one entry per group (the object, whether
// this node holds every block, its view), batched into one HEARTBEAT per peer (a new message every
// kBatch entries). Members lately removed (Group::departed) get an entry too, ever more rarely
// (the interval doubles up to 32 heartbeats), until departed_ms after they left, so that they
// learn they are out. It owns the rounds' timer and the rule for who is departed; the departed
// members themselves are the group's. It reaches the node only through HeartbeatNode.
#pragma once
#include "engine_types.hpp"
#include "group.hpp"
#include "messages.hpp"

#include <cstdint>
#include <map>

namespace butter::pcg {

// What the heartbeat rounds need from the node they run on (the Engine implements it).
class HeartbeatNode {
 public:
  virtual std::uint64_t random() = 0;  // the rounds' jitter
  virtual void send(Output& out, const Hash& to, const Message& m) = 0;

 protected:
  ~HeartbeatNode() = default;  // not owned through this interface
};

class Heartbeats {
 public:
  static constexpr std::size_t kBatch = 512;  // entries per heartbeat message

  // `cfg` is the node's; both outlive this object.
  Heartbeats(Hash self, const Config& cfg, HeartbeatNode& node) : self_(self), cfg_(cfg), node_(node) {}
  Heartbeats(const Heartbeats&) = delete;  // holds references into its owner
  Heartbeats& operator=(const Heartbeats&) = delete;

  // A round is due at `now` (the first one at once).
  bool due(std::uint64_t now) const { return now >= next_round_; }
  // Sends one round's heartbeats for `groups` (departed members past their time are forgotten)
  // and schedules the next round.
  void round(std::map<Hash, Group>& groups, std::uint64_t now, Output& out);
  // Members of `old` missing from g.view become departed (probed); members of g.view are not.
  void note_departures(Group& g, const View& old, std::uint64_t now) const;

 private:
  Hash self_;
  const Config& cfg_;
  HeartbeatNode& node_;
  std::uint64_t next_round_ = 0;
};

}  // namespace butter::pcg
