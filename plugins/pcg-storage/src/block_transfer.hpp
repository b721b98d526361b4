// BlockTransfer: the blocks of one object fetched from other nodes, for a group member filling
// its copy and for a get from outside the group. It holds the blocks received so far (each
// verified against the manifest), the requests in flight (a window of them, spread over the
// sources, each with a deadline that grows while its source makes progress), the sources that
// failed each block, and the sources that answered AGAIN (over their serve rate: waited for, not
// failed). It reaches the node only through FetchNode (send, randomness, the limits, the count of
// bad blocks); the Engine decides which sources to offer and what a finished copy becomes.
#pragma once
#include "blocks.hpp"
#include "engine_types.hpp"
#include "messages.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace butter::pcg {

// What a block transfer needs from the node it runs on (the Engine implements it).
class FetchNode {
 public:
  virtual std::uint64_t random() = 0;
  virtual void send(Output& out, const Hash& to, const Message& m) = 0;
  virtual const Config& config() const = 0;  // fetch_window, request_timeout_ms
  virtual void count_bad_block() = 0;        // a block that did not match the manifest's hash

 protected:
  ~FetchNode() = default;  // not owned through this interface
};

class BlockTransfer {
 public:
  // Sources answering AGAIN remembered at once (as many as a streamed read may know).
  static constexpr std::size_t kMaxBusySources = 4 * (kMaxMembers + 1);

  // Nothing held yet: `n` blocks to fetch (forgets everything before).
  void expect(std::size_t n);
  // Every block given at once (a put of the object): nothing left to fetch. Requests in flight
  // are forgotten (their answers are late).
  void hold_all(std::vector<std::vector<std::uint8_t>> blocks);

  const std::vector<std::vector<std::uint8_t>>& blocks() const { return blocks_; }
  const std::vector<bool>& have() const { return have_; }
  std::size_t have_count() const { return have_count_; }
  bool has(std::uint32_t i) const { return i < have_.size() && have_[i]; }
  // Block `i` was asked of `from` and its answer is awaited.
  bool asked(std::uint32_t i, const Hash& from) const;
  bool in_flight() const { return !fetching_.empty(); }
  // Blocks pump() has looked at so far: its cost, linear in the object's blocks (a test bounds it).
  std::uint64_t pump_steps() const { return pump_steps_; }

  // Issues FETCHes to `sources` up to the window, each block from a source that has not failed
  // it (starting at a different source for each block); false when some missing block has no
  // source left (all failed it; busy ones do not count as failed). With no sources: whether
  // every block is held.
  bool pump(FetchNode& node, const Manifest& m, const Hash& object, const std::vector<Hash>& sources, std::uint64_t now,
            Output& out);
  // The answer to a request in flight (else ignored: false). True when it stored the block; a
  // refusal marks the source failed for that block, AGAIN makes it wait, a block that does not
  // verify is counted and marks it failed.
  bool accept(FetchNode& node, const Manifest& m, const Hash& from, const Message& msg, std::uint64_t now);
  // A verified answer from a source whose request for that block timed out earlier (it is among
  // the block's failed sources): kept rather than asked again. False when not such an answer.
  bool accept_late(FetchNode& node, const Manifest& m, const Hash& from, const Message& msg, std::uint64_t now);
  // Requests past their deadline: their sources count as failed for the block.
  void expire(std::uint64_t now);
  // Every source failed some block once: all may be asked again.
  void forget_failures() { tried_.clear(); }
  // This node was paused: deadlines move on by the pause, but never beyond kMaxFetchStretch
  // timeouts after the request was issued.
  void credit_pause(std::uint64_t pause_ms, std::uint64_t request_timeout_ms);

 private:
  struct Fetch {
    Hash from{};
    std::uint64_t deadline = 0;
    std::uint64_t issued = 0;  // when it was sent: a deadline is extended at most to a bound from here
  };
  void store(std::uint32_t i, const std::vector<std::uint8_t>& data);
  // A block from `from` arrived: its other requests to that source are queued behind this one
  // and it is making progress, so their deadlines move on (deadlines.hpp).
  void progress(const Hash& from, std::uint64_t now, std::uint64_t request_timeout_ms);

  std::vector<std::vector<std::uint8_t>> blocks_;
  std::vector<bool> have_;
  std::size_t have_count_ = 0;
  // Every block before this one is held: pump() starts here. Scanning from block 0 on each of the
  // n arrivals cost n^2 / 2 steps on the node's strand (10^11 for a 1 GiB object of 1 KiB blocks,
  // which any author may put and have recruits fetch).
  std::uint32_t first_missing_ = 0;
  std::uint64_t pump_steps_ = 0;
  std::map<std::uint32_t, Fetch> fetching_;
  std::map<std::uint32_t, std::set<Hash>> tried_;  // sources that failed a block (only blocks that have one)
  // Sources that answered AGAIN (over their serve rate): not asked before this time. Not a
  // failure: the block is asked elsewhere, or of them again later. At most kMaxBusySources.
  std::map<Hash, std::uint64_t> busy_until_;
};

}  // namespace butter::pcg
