// Gets: the gets (Engine::get) in progress on one node that this node cannot answer from a
// complete copy of its own, and everything they hold: per get its ticket, its deadline, the
// candidates asked where the object is (LOCATE) and their deadlines, and once located the
// verified manifest, the members to fetch from and the block transfer (block_transfer.hpp). Each
// ends with exactly one GetDone event. The Engine composes one, answers gets from its own complete
// copies itself, and forwards LOCATED answers and BLOCKs to it; a get reaches the rest of the node
// only through GetNode. How a get works: gets.cpp.
#pragma once
#include "block_transfer.hpp"
#include "blocks.hpp"
#include "engine_types.hpp"
#include "locate_asks.hpp"
#include "messages.hpp"
#include "repair.hpp"
#include "view.hpp"

#include <butter/status.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace butter::pcg {

// What a get needs from the node it runs on (the Engine implements it): what its block transfer
// needs, and a place to note the endpoints of the nodes it learns of.
class GetNode : public FetchNode {
 public:
  virtual void learn(const View& v) = 0;  // endpoints of the members named
  virtual void learn(const Candidate& c) = 0;

 protected:
  ~GetNode() = default;  // not owned through this interface
};

// The reason a get of an object of `size` bytes fails when it may return at most `max_size`.
std::string too_large_for_get(std::uint64_t size, std::uint64_t max_size);

class Gets {
 public:
  // `cfg` and `stats` are the node's (read and counted into); all three outlive this object.
  Gets(Hash self, const Config& cfg, Stats& stats, GetNode& node)
      : self_(self), cfg_(cfg), stats_(stats), node_(node) {}
  Gets(const Gets&) = delete;  // holds references into its owner
  Gets& operator=(const Gets&) = delete;

  // A member of the object's group still filling its own copy: it knows the object, and fetches
  // from the group directly instead of asking where it is.
  struct Located {
    const Manifest& manifest;   // verified against the object id
    std::vector<Hash> sources;  // the group's members, in the order to ask them
  };

  // Starts get `ticket` of `id` (due within cfg.get_timeout_ms), then asks `candidates` where it
  // is (more may come with add_candidates while `more_coming`), unless `located` says already.
  // An object of more than `max_size` bytes fails the get (BUTTER_E_NOMEM) as soon as its
  // verified manifest says so, before a block is fetched: a get holds the whole object.
  void start(std::uint64_t ticket, const Hash& id, const Located* located, const std::vector<Candidate>& candidates,
             bool more_coming, std::uint64_t max_size, std::uint64_t now, Output& out);
  // The contract of Engine::add_get_candidates (engine.hpp).
  void add_candidates(std::uint64_t ticket, const std::vector<Candidate>& candidates, bool more_coming,
                      std::uint64_t now, Output& out);
  bool pending(std::uint64_t ticket) const { return getters_.count(ticket) != 0; }

  // Every get steps: timeouts, fetches, its end.
  void tick(std::uint64_t now, Output& out);
  // A LOCATED answer numbered `m.number`: false when no get has that ticket (a stale answer for
  // another object is still a get's: true).
  bool on_located(const Hash& from, const Message& m, std::uint64_t now, Output& out);
  // A BLOCK a get asked `from` for: false when no get did.
  bool on_block(const Hash& from, const Message& m, std::uint64_t now, Output& out);

 private:
  struct Getter {
    std::uint64_t ticket = 0;
    Hash id{};
    std::uint64_t deadline = 0;
    bool more_coming = false;
    std::uint64_t max_size = 0;
    LocateAsks asking;
    std::set<Hash> asked;
    bool located = false;
    Manifest manifest;
    std::vector<Hash> sources;
    BlockTransfer data;
  };

  // Sends `gt`'s LOCATE to `to`.
  void ask(Getter& gt, const Hash& to, std::uint64_t now, Output& out);
  void finish(std::uint64_t ticket, butter_status st, std::vector<std::uint8_t> data, std::string msg, Output& out);
  void step(Getter& g, std::uint64_t now, Output& out);

  Hash self_;
  const Config& cfg_;
  Stats& stats_;
  GetNode& node_;
  std::map<std::uint64_t, Getter> getters_;
};

}  // namespace butter::pcg
