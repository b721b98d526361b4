// StreamReads: the streamed reads (butter.storage/3) open on one node, and everything they hold:
// per read its manifest, its sources and their back-off, its block requests and the verified
// blocks waiting for the consumer's credit. The Engine composes one and forwards the public
// stream_* calls, LOCATED answers and BLOCKs to it; the read reaches the rest of the node only
// through ReadNode (send, learn addresses, randomness, this node's own copy of the object).
// How a read works: stream_reads.cpp.
#pragma once
#include "blocks.hpp"
#include "engine_types.hpp"
#include "locate_asks.hpp"
#include "messages.hpp"
#include "repair.hpp"
#include "view.hpp"

#include <butter/status.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace butter::pcg {

// What a streamed read needs from the node it runs on (the Engine implements it).
class ReadNode {
 public:
  // This node's copy of an object whose group it is in: its verified manifest and view, and the
  // blocks it holds so far (have[i]: blocks[i] is there). Valid until the node next changes.
  struct HeldCopy {
    const Manifest& manifest;
    const View& view;
    const std::vector<bool>& have;
    const std::vector<std::vector<std::uint8_t>>& blocks;
  };

  virtual std::uint64_t random() = 0;
  virtual void send(Output& out, const Hash& to, const Message& m) = 0;
  virtual void learn(const View& v) = 0;  // endpoints of the members named
  virtual void learn(const Candidate& c) = 0;
  // A get of the node uses `ticket` (reads and gets share one id space: LOCATED names it).
  virtual bool ticket_in_use(std::uint64_t ticket) const = 0;
  virtual std::optional<HeldCopy> held_copy(const Hash& id) const = 0;

 protected:
  ~ReadNode() = default;  // not owned through this interface
};

class StreamReads {
 public:
  static constexpr std::uint32_t kMaxWindow = 64;
  static constexpr std::size_t kMaxReads = 256;
  static constexpr std::size_t kMaxSources = kMaxMembers + 1;  // usable at once
  static constexpr std::size_t kMaxKnown = 4 * kMaxSources;    // incl. evicted ones

  struct Report {
    std::uint32_t window = 0, block_size = 0, credit = 0, in_flight = 0;
    std::uint64_t buffered_bytes = 0, peak_buffered_bytes = 0;  // verified blocks not yet delivered
    std::uint64_t next_offset = 0;                              // first byte not yet delivered
    std::uint64_t object_size = 0;                              // the manifest's size, once located
    std::uint32_t sources = 0;                                  // members it may ask (not evicted)
    std::uint64_t blocks_fetched = 0, bad_blocks = 0, timeouts = 0, refusals = 0, busy = 0;
    std::map<Hash, std::uint64_t> served_by;  // member -> blocks it delivered
  };

  // `cfg` and `stats` are the node's (read and counted into); all three outlive this object.
  StreamReads(Hash self, const Config& cfg, Stats& stats, ReadNode& node)
      : self_(self), cfg_(cfg), stats_(stats), node_(node) {}
  StreamReads(const StreamReads&) = delete;  // holds references into its owner
  StreamReads& operator=(const StreamReads&) = delete;

  // The contracts of Engine::stream_open, stream_add_candidates, stream_credit, stream_pump,
  // stream_cancel, stream_report, stream_buffered_bytes (engine.hpp).
  butter_status open(std::uint64_t sid, const Hash& id, std::uint64_t offset, std::uint64_t length,
                     std::uint32_t window, const std::vector<Candidate>& candidates, bool more_coming,
                     std::uint64_t now, Output& out, std::string& why, bool tell_located);
  void add_candidates(std::uint64_t sid, const std::vector<Candidate>& candidates, bool more_coming, std::uint64_t now,
                      Output& out);
  void credit(std::uint64_t sid, std::uint32_t chunks);
  void pump(std::uint64_t sid, std::uint64_t now, Output& out);
  bool cancel(std::uint64_t sid) { return reads_.erase(sid) != 0; }
  bool pending(std::uint64_t sid) const { return reads_.count(sid) != 0; }
  std::size_t count() const { return reads_.size(); }
  std::uint64_t buffered_bytes() const;
  std::optional<Report> report(std::uint64_t sid) const;

  // Every read steps: timeouts, delivery, fetches, its end.
  void tick(std::uint64_t now, Output& out);
  // A LOCATED answer numbered `m.number`: false when no read has that number and object.
  bool on_located(const Hash& from, const Message& m, std::uint64_t now, Output& out);
  // A BLOCK a read asked `from` for: false when no read did.
  bool on_block(const Hash& from, Message& m, std::uint64_t now, Output& out);

 private:
  struct Request {
    Hash from{};
    std::uint64_t deadline = 0;
  };
  struct Source {
    std::uint32_t in_flight = 0;
    // A member that timed out or answered AGAIN is not asked before retry_at; each consecutive
    // timeout doubles the wait (backoff), a verified block resets it. So a member that
    // recovers is used again, one that stays dead costs one request per backoff period.
    std::uint32_t timeouts = 0;
    std::uint64_t retry_at = 0;
    bool evicted = false;  // sent a block that failed its hash: never asked again by this read
  };
  struct Read {
    std::uint64_t sid = 0;
    Hash id{};
    std::uint64_t offset = 0, length = 0;  // as asked
    std::uint32_t window = 0;
    std::uint64_t deadline = 0;  // no block for stream_idle_ms while waiting on the network
    bool more_coming = false;
    LocateAsks asking;
    std::set<Hash> asked;
    bool located = false;
    bool tell_located = false;  // emit StreamLocated once located
    Manifest manifest;
    std::vector<Hash> order;  // sources in the order learnt (self first)
    std::map<Hash, Source> sources;
    std::uint64_t end = 0;                        // the range's end, clipped
    std::uint32_t next_block = 0, end_block = 0;  // next to deliver; one past the last
    std::uint64_t next_offset = 0;                // first byte not delivered
    std::map<std::uint32_t, Request> fetching;
    std::map<std::uint32_t, std::set<Hash>> tried;
    std::map<std::uint32_t, std::vector<std::uint8_t>> ready;  // verified, not yet delivered
    std::uint32_t credit = 0;
    bool throttled = false;  // the last fetch round stopped at the node-wide bound: waiting on the node
    Report report;
  };

  static std::uint64_t held_bytes(const Read& s);
  // Sends `s`'s LOCATE to `to`.
  void ask(Read& s, const Hash& to, std::uint64_t now, Output& out);
  void located(Read& s, const Hash& from, const Manifest& m, const View& view, Output& out);
  // False when the read already has its maximum of usable sources (or `h` is known).
  bool add_source(Read& s, const Hash& h);
  static std::size_t usable_sources(const Read& s);
  // How long a member that timed out `timeouts` times in a row waits before it is asked again.
  std::uint64_t backoff(std::uint32_t timeouts);
  // The deadline of a block request to a member with `queued` requests of this read ahead of it:
  // later requests wait behind earlier ones, and a little jitter keeps timeouts of one burst
  // from all firing in one tick (and all failing over at once).
  std::uint64_t fetch_deadline(std::uint32_t queued, std::uint64_t now);
  void step(Read& s, std::uint64_t now, Output& out);
  bool fetch(Read& s, std::uint64_t now, Output& out);  // false: a block has no source left
  void block(Read& s, const Hash& from, Message& m, std::uint64_t now, Output& out);
  void done(Read& s, butter_status st, std::string msg, Output& out);

  Hash self_;
  const Config& cfg_;
  Stats& stats_;
  ReadNode& node_;
  std::map<std::uint64_t, Read> reads_;
};

}  // namespace butter::pcg
