// Engine: everything a pcg-storage node does, without I/O. It holds the objects this node
// stores, one Peer Content Group per object (view, liveness of members, block transfers), and
// the budget; it composes the collaborators below for the rest. Time comes in as `now`
// (milliseconds, any monotonic clock); messages come in as bytes with their sender; what the node
// must send and report comes out in an Output. The plugin (pcg_plugin.cpp) and the churn
// simulation (bench/pcg_churn_bench.cpp) drive this same class: the plugin over the host's
// transport and timers, the simulation over in-memory links with delay and virtual time.
//
// Per group, every tick: heartbeats (Heartbeats, heartbeats.hpp: batched per peer, one round per
// heartbeat interval with jitter), missing blocks fetched from members that hold them
// (BlockTransfer, block_transfer.hpp: a window of requests, failover to the next member on a
// timeout or a bad block; gets from outside the group fetch the same way), the members' claims
// challenged and proven members audited (PossessionChecks), and — on the member the leader rule
// picks — the repair planner (repair.hpp) applied to the view, whose new version goes to every
// member (GroupRepair).
//
// The rest is done by collaborators the engine composes. Each owns its state and reaches this node
// only through a narrow interface the engine implements:
//  - StreamReads (stream_reads.hpp): the streamed reads and their buffers; ReadNode (send,
//    addresses learnt, randomness, gets' tickets, this node's own copy).
//  - Gets (gets.hpp): the gets this node cannot answer from a complete copy of its own (tickets,
//    deadlines, where each was located, its block transfer); GetNode (FetchNode's calls and the
//    addresses learnt).
//  - Heartbeats (heartbeats.hpp): the heartbeat rounds' timer, entries batched per peer, the
//    departed members' probes; HeartbeatNode (send, randomness).
//  - GroupRepair (group_repair.hpp): the leader rule and the planner's plan carried out;
//    RepairNode (candidates and their addresses, who is suspected or cooling down, send, addresses
//    learnt, departures noted).
//  - PossessionChecks (possession_checks.hpp): challenges of the members' claims, their answers
//    and audits, this node's answers to others within their rate; CheckNode (send, randomness,
//    who is silent or suspected, a replica proven, a member cooled down).
//  - BlockTransfer (block_transfer.hpp), one per group and per get: FetchNode (send, randomness,
//    the limits, the count of bad blocks); which nodes they ask is sources.hpp's rule.
// What this node knows of one group is a Group (group.hpp); the engine routes each message to the
// group and the collaborator it concerns (engine_messages.cpp).
#pragma once
#include "block_transfer.hpp"
#include "blocks.hpp"
#include "budget.hpp"
#include "engine_types.hpp"
#include "gets.hpp"
#include "group.hpp"
#include "group_repair.hpp"
#include "heartbeats.hpp"
#include "messages.hpp"
#include "possession.hpp"
#include "possession_checks.hpp"
#include "possession_state.hpp"
#include "repair.hpp"
#include "sources.hpp"
#include "stream_reads.hpp"
#include "view.hpp"

#include <butter/cpp/bounded_lru.hpp>
#include <butter/status.h>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace butter::pcg {

// What the engine needs from its surroundings besides time and messages.
class Env {
 public:
  virtual ~Env() = default;
  // Up to k hosts to recruit from (the known-host service), self excluded.
  virtual std::vector<Candidate> candidates(std::size_t k) = 0;
  virtual std::uint64_t random() = 0;
  // Randomness an attacker must not predict: possession challenges (nonce, block, range). The
  // plugin draws it from libsodium's CSPRNG; the default (simulations) is random().
  virtual std::uint64_t nonce() { return random(); }
  // The remote address of the connection to `id` as this node sees it ("" when not connected or
  // unknown): replica placement (placement.hpp) judges a host by it before its endpoints.
  virtual std::string observed_address(const Hash& id) {
    (void)id;
    return {};
  }
  // Writes a copy this node now holds whole to durable storage, before the engine counts it as
  // held: only after OK does the node say so (a put's result, HAVE, the complete flag in its
  // heartbeats). An error (BUTTER_E_NOMEM: disk full) leaves the engine not holding it: a put
  // fails with that status, a recruit tells the group it cannot keep the copy. The default, for
  // nodes without persistence (simulations, tests), keeps everything in memory only.
  virtual butter_status store_durably(const Hash& id, const std::vector<std::uint8_t>& manifest,
                                      const std::vector<std::vector<std::uint8_t>>& blocks, const View& view,
                                      std::string& why) {
    (void)id, (void)manifest, (void)blocks, (void)view, (void)why;
    return BUTTER_OK;
  }
};

struct ObjectInfo {
  Hash id{};
  std::uint64_t size = 0;
  std::vector<std::string> keywords;
  std::uint32_t group_size = 0;
  bool complete = false;
};

class Engine final : private ReadNode, private GetNode, private CheckNode, private HeartbeatNode, private RepairNode {
 public:
  Engine(Hash self, std::vector<std::string> endpoints, Config cfg, std::uint64_t capacity_bytes, Env& env);

  const Hash& self() const { return self_; }
  const Config& config() const override { return cfg_; }
  void set_repair(bool on) { cfg_.repair = on; }
  void set_endpoints(std::vector<std::string> eps) { endpoints_ = std::move(eps); }

  // Stores `data` and starts its group. The id is known at once. Errors are returned (no event):
  // BUTTER_E_NOMEM beyond the budget, BUTTER_E_INVALID for bad keywords, and whatever
  // Env::store_durably returned when the local copy could not be written. On OK one PutDone
  // event follows, when r members hold it or at put_timeout_ms with the replicas reached.
  butter_status put(std::uint64_t ticket, std::span<const std::uint8_t> data, const std::vector<std::string>& keywords,
                    std::uint64_t now, Hash& id_out, std::string& why, Output& out);
  // Fetches an object: locally when held, else asks `candidates` who holds it (more may be added
  // with add_get_candidates while `more_coming`). Exactly one GetDone event follows. An object of
  // more than `max_size` bytes fails with BUTTER_E_NOMEM once its manifest is known, before any
  // block is read or fetched (the result holds the whole object).
  void get(std::uint64_t ticket, const Hash& id, const std::vector<Candidate>& candidates, bool more_coming,
           std::uint64_t now, Output& out, std::uint64_t max_size = kAnyGetSize);
  void add_get_candidates(std::uint64_t ticket, const std::vector<Candidate>& candidates, bool more_coming,
                          std::uint64_t now, Output& out) {
    gets_.add_candidates(ticket, candidates, more_coming, now, out);
  }
  bool get_pending(std::uint64_t ticket) const { return gets_.pending(ticket); }

  // A put of an object already split (a streamed put hashed it block by block as it came): the
  // same contract as put.
  butter_status put_split(std::uint64_t ticket, SplitObject obj, std::uint64_t now, Hash& id_out, std::string& why,
                          Output& out);

  // --- streamed reads (StreamReads, stream_reads.hpp; these forward to it) ---------------------
  // Opens read `sid` (unique among tickets and reads) of bytes [offset, offset + length) of object
  // `id` (length clipped at the object's end; UINT64_MAX: to the end). The manifest comes from
  // this node when it is in the group, else from the first of `candidates` that answers LOCATE
  // (verified against the id); blocks come from the members (this node first when it holds them),
  // at most `window` blocks in flight or buffered and cfg.stream_per_member in flight per member,
  // each verified on arrival. A chunk (StreamChunk event, one per block touched) is emitted only
  // against credit (stream_credit), in order. Exactly one StreamDone ends the read unless it is
  // cancelled. Errors returned at once (no event): BUTTER_E_INVALID (window 0 or over
  // kMaxStreamWindow), BUTTER_E_NOMEM (kMaxStreams open). With `tell_located`, a StreamLocated
  // event carries the verified manifest as soon as the read has it (before its chunks and end).
  butter_status stream_open(std::uint64_t sid, const Hash& id, std::uint64_t offset, std::uint64_t length,
                            std::uint32_t window, const std::vector<Candidate>& candidates, bool more_coming,
                            std::uint64_t now, Output& out, std::string& why, bool tell_located = false) {
    return reads_.open(sid, id, offset, length, window, candidates, more_coming, now, out, why, tell_located);
  }
  void stream_add_candidates(std::uint64_t sid, const std::vector<Candidate>& candidates, bool more_coming,
                             std::uint64_t now, Output& out) {
    reads_.add_candidates(sid, candidates, more_coming, now, out);
  }
  // Grants `chunks` more chunks (outstanding credit is capped at the window). Emits nothing: the
  // next stream_pump (or message, tick) delivers.
  void stream_credit(std::uint64_t sid, std::uint32_t chunks) { reads_.credit(sid, chunks); }
  // Delivers what credit allows and issues fetches; may end the read.
  void stream_pump(std::uint64_t sid, std::uint64_t now, Output& out) { reads_.pump(sid, now, out); }
  // Forgets the read and everything it buffered; no event follows. False when unknown (ended).
  bool stream_cancel(std::uint64_t sid) { return reads_.cancel(sid); }
  bool stream_pending(std::uint64_t sid) const { return reads_.pending(sid); }
  std::size_t stream_count() const { return reads_.count(); }
  // Bytes all open reads hold or have asked for (the quantity cfg.stream_buffer_bytes bounds).
  std::uint64_t stream_buffered_bytes() const { return reads_.buffered_bytes(); }
  using StreamReport = StreamReads::Report;
  std::optional<StreamReport> stream_report(std::uint64_t sid) const { return reads_.report(sid); }
  static constexpr std::uint32_t kMaxStreamWindow = StreamReads::kMaxWindow;
  static constexpr std::size_t kMaxStreams = StreamReads::kMaxReads;

  void on_message(const Hash& from, std::span<const std::uint8_t> bytes, std::uint64_t now, Output& out);
  void tick(std::uint64_t now, Output& out);

  // A stored object coming back from disk: verified (manifest against the id, every block)
  // and charged to the budget even beyond its capacity (data on disk is never refused for
  // space: the budget then has nothing free, so new puts and recruits are refused until usage
  // falls under it). False with `why` when refused (verification failed, already held).
  bool restore(const Hash& id, std::span<const std::uint8_t> manifest, std::vector<std::vector<std::uint8_t>> blocks,
               const View& view, std::uint64_t now, std::string& why);

  std::vector<ObjectInfo> list() const;
  std::optional<ObjectInfo> lookup(const Hash& id) const;
  bool holds(const Hash& id) const;  // every block held
  const View* view_of(const Hash& id) const;
  const std::vector<std::uint8_t>* manifest_of(const Hash& id) const;
  const std::vector<std::vector<std::uint8_t>>* blocks_of(const Hash& id) const;  // REQUIRES: holds(id)
  // Members this node counts as holding `id`: those that proved it, and itself when it holds it.
  std::vector<Hash> proven_members(const Hash& id) const;
  std::size_t groups_below_r() const;
  std::size_t group_count() const { return groups_.size(); }
  std::optional<Hash> leader_of(const Hash& id, std::uint64_t now) const;
  const Budget& budget() const { return budget_; }
  // Streamed puts being written (the plugin holds their bytes until commit) set bytes aside in
  // the budget, so that puts, recruits and other streamed puts cannot promise them twice.
  bool set_aside_for_put(std::uint64_t bytes, std::string& why) { return budget_.set_aside(bytes, why); }
  void give_back_put(std::uint64_t bytes) { budget_.give_back(bytes); }
  const PeerQuota& quota() const { return quota_; }
  // Copies this node still holds after leaving their group (kept until held at r elsewhere).
  std::size_t retiring_count() const;
  bool is_member(const Hash& id) const;
  const Stats& stats() const { return stats_; }
  std::size_t known_addresses() const { return addresses_.size(); }  // at most kMaxAddresses

 private:
  // A verified answer from a member asked earlier for a block whose request timed out: kept
  // rather than asked again (the work is done). False when the group does not need it.
  bool accept_late_block(Group& g, const Hash& from, const Message& m, std::uint64_t now, Output& out);
  // A group transfer got a block: the reservation holds on; once every block is here the copy is
  // stored. False when the group has no more blocks to fetch (complete, or dropped: not stored).
  bool block_filled(Group& g, std::uint64_t now, Output& out);
  // Any group message from a current member (a block, a fetch, a proof, an ack) shows it is
  // alive as well as its heartbeat does: a member busy moving blocks is not suspected.
  void note_alive(const Hash& from, const Message& m, std::uint64_t now);
  // This node did not run for a while (its ticks came late: a loaded machine): the silence of
  // others over that time says nothing about them (deadlines.hpp, pause_credit).
  void credit_pause(std::uint64_t pause_ms);
  static std::uint64_t serve_burst(const Config& cfg);  // one second of serve_bytes_per_s
  // Charges an answer of `bytes` to `to`'s serve rate (served_); false when `to` is over it.
  // Answers to peers outside a group whose size this node decides, not the asker: FETCH's blocks
  // (on_fetch), LOCATE's manifest and view (on_locate), the views sent back to a non-member's
  // VIEW or heartbeat (on_view).
  bool within_serve_rate(const Hash& to, std::uint64_t bytes, std::uint64_t now);
  static_assert(BlockTransfer::kMaxBusySources == StreamReads::kMaxKnown, "as many busy sources as a read may know");

  // ReadNode, GetNode, FetchNode, CheckNode, HeartbeatNode and RepairNode: what the streamed
  // reads, the gets, the block transfers, the possession checks, the heartbeat rounds and the
  // repair use of this node.
  std::uint64_t random() override { return env_.random(); }
  std::uint64_t nonce() override { return env_.nonce(); }
  void send(Output& out, const Hash& to, const Message& m) override;
  void count_bad_block() override { ++stats_.bad_blocks; }
  void learn(const View& v) override;
  void learn(const Candidate& c) override;
  void learn(const Hash& id, const std::vector<std::string>& endpoints);
  bool ticket_in_use(std::uint64_t ticket) const override { return gets_.pending(ticket); }
  std::optional<HeldCopy> held_copy(const Hash& id) const override;
  void replica_proven(Group& g, std::uint64_t now, Output& out) override { check_put(g, now, out); }
  void cool_down(const Hash& m, std::uint64_t until) override { cooldown_[m] = until; }
  bool cooling(const Hash& id) const override { return cooldown_.count(id) != 0; }
  std::vector<Candidate> candidates(std::size_t k) override { return env_.candidates(k); }
  std::string observed_address(const Hash& id) override { return env_.observed_address(id); }
  void note_departures(Group& g, const View& old, std::uint64_t now) override {
    heartbeats_.note_departures(g, old, now);
  }
  bool suspected(const Group& g, const Hash& m, std::uint64_t now) const override;
  // Nothing heard from `m` for miss_limit heartbeats (suspected() also counts failed proofs).
  bool silent(const Group& g, const Hash& m, std::uint64_t now) const override;
  std::uint32_t replicas(const Group& g) const;
  void adopt(Group& g, const View& v, std::uint64_t now, Output& out);
  // True when r members of the group other than this node proved to THIS node that they hold
  // every block (MemberState::proven: proof of possession) and are alive. The one predicate that
  // lets a removed member drop its copy: every path that deletes a copy follows it.
  bool confirmed_elsewhere(const Group& g, std::uint64_t now) const;
  // Drops a retiring copy once confirmed_elsewhere; true when it dropped it.
  bool retire_if_confirmed(Group& g, std::uint64_t now, Output& out);
  // `v`, from non-member `from` that is in it, names none of our members: the same object held by
  // a second group (both halves of a partition repaired). Join the two into one view.
  void merge_groups(Group& g, const Hash& from, const View& v, std::optional<bool> complete, std::uint64_t now,
                    Output& out);
  void drop(const Hash& id, Output& out);
  void check_put(Group& g, std::uint64_t now, Output& out);
  // Stores the complete copy (Env::store_durably), then counts it as held: Stored event, HAVE to
  // the members. On an error nothing changes and the status is returned.
  butter_status became_complete(Group& g, std::string& why, Output& out);
  // A recruit that fetched every block but could not store them: tells the members (a failing
  // RECRUIT_ACK, so the leader replaces it at once) and drops the group.
  void cannot_keep(Group& g, butter_status st, const std::string& why, Output& out);
  // Fetches the group's missing blocks from its members (BlockTransfer::pump): false when some
  // missing block has no source left.
  bool pump(Group& g, std::uint64_t now, Output& out);
  // The sources of a fill from the group (member_sources: proven or claiming members first).
  std::vector<Hash> group_sources(const Group& g) const;
  Group* group(const Hash& id);

  void on_heartbeat(const Hash& from, const Message& m, std::uint64_t now, Output& out);
  // `reply` (heartbeats only) collects this node's own entries for a retiring holder that asks.
  void on_view(const Hash& from, const Hash& object, const View& v, std::optional<bool> complete, std::uint64_t now,
               Output& out, std::vector<HeartbeatEntry>* reply = nullptr);
  void on_recruit(const Hash& from, Message& m, std::uint64_t now, Output& out);
  void on_recruit_ack(const Hash& from, const Message& m, std::uint64_t now);
  void on_fetch(const Hash& from, const Message& m, std::uint64_t now, Output& out);
  void on_block(const Hash& from, Message& m, std::uint64_t now, Output& out);
  void on_locate(const Hash& from, const Message& m, std::uint64_t now, Output& out);
  void on_located(const Hash& from, const Message& m, std::uint64_t now, Output& out);
  // A member says it now holds every block: a claim for the possession checks.
  void on_have(const Hash& from, const Message& m, std::uint64_t now, Output& out);

  Hash self_;
  std::vector<std::string> endpoints_;
  Config cfg_;
  Budget budget_;
  PeerQuota quota_;
  Env& env_;
  Stats stats_;
  std::map<Hash, Group> groups_;
  // node -> endpoints, from views and candidates, which peers write: bounded, the least recently
  // learnt or used forgotten first (the host keeps its own book of what this node gave it).
  butter::BoundedLru<Hash, std::vector<std::string>, HashOfId> addresses_{kMaxAddresses};
  std::map<Hash, std::uint64_t> cooldown_;  // candidate -> not before
  std::uint64_t last_tick_ = 0;             // the previous tick (0: none yet), to tell when this node was paused
  // What this node sends each non-member peer that asks (block bytes FETCH answers, manifest and
  // view bytes LOCATE answers, views sent back to a stale or retiring non-member), one rate for
  // all of it: the bounded, self-expiring table of token buckets that also rates challenges'
  // answers (a full bucket carries no state and is forgotten).
  AnswerBudget served_;
  // Last: they refer to cfg_, stats_ and this node, which are built before them.
  Heartbeats heartbeats_;
  GroupRepair repairs_;
  Gets gets_;
  PossessionChecks checks_;
  StreamReads reads_;
};

}  // namespace butter::pcg
