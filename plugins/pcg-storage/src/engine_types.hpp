// What goes into the engine besides messages (Config) and what comes out of it (Output: sends
// and events; Stats). Shared by the Engine and the collaborators it composes (stream_reads.hpp),
// which report through the same Output and count into the same Stats.
#pragma once
#include "messages.hpp"

#include <butter/status.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace butter::pcg {

// Node ids whose endpoints a node keeps (learnt from views and candidates, given to the host): a
// few hundred bytes each, so about 2 MiB. Far more than the members of the groups a node is in
// and the sources of its reads and gets; peers can name any number of made-up ids.
inline constexpr std::size_t kMaxAddresses = 8192;

// A get's `max_size` when the caller takes an object of any size (Engine::get).
inline constexpr std::uint64_t kAnyGetSize = ~std::uint64_t{0};

struct Config {
  std::uint32_t r = 3;                // group size
  std::uint64_t heartbeat_ms = 1000;  // one heartbeat round per interval (+- jitter)
  std::uint32_t miss_limit = 3;       // a member silent this many intervals is dropped
  double jitter = 0.2;                // +- share of the interval
  std::uint32_t block_size = 64 * 1024;
  std::uint64_t request_timeout_ms = 2000;    // recruit ack, block fetch, locate
  std::uint64_t complete_timeout_ms = 60000;  // a recruit holds every block by then or is dropped
  std::uint64_t put_timeout_ms = 10000;       // PUT_DONE at the latest (with the replicas reached)
  // The slowest transfer rate this node waits for without cutting a transfer off: deadlines of
  // work that grows with what is moved (a recruit filling its copy, a put reaching r, a challenge
  // answered with a whole block) get the time that many bytes take at this rate on top of their
  // fixed part (deadlines.hpp). So a big object on a loaded machine is not given up on, and a
  // peer that stalls is still cut off: every such deadline has a bound fixed when it starts.
  std::uint64_t min_transfer_bytes_per_s = 1024 * 1024;
  std::uint64_t get_timeout_ms = 10000;
  std::uint64_t refuse_cooldown_ms = 30000;  // a candidate that declined is not asked again before
  std::uint32_t fetch_window = 4;            // block requests in flight per transfer
  // Streamed reads (stream_reads.cpp): block requests in flight to one member for one read, and
  // how long a read may go without a block arriving (while it waits on the network) before it
  // ends with BUTTER_E_TIMEOUT.
  std::uint32_t stream_per_member = 4;
  std::uint64_t stream_idle_ms = 10000;
  // All streamed reads together hold at most this many bytes (blocks in flight, counted at the
  // block size, plus verified blocks waiting for credit); 0: no node-wide bound (each read is
  // still bounded by its window). Past it a read waits (backpressure, no failure) until others
  // deliver. The plugin derives it from the node's memory budget.
  std::uint64_t stream_buffer_bytes = 0;
  // A streamed put (plugin) with no write for this long is aborted and its reservation freed.
  std::uint64_t put_idle_ms = 60000;
  // FETCHes and LOCATEs from peers that are not members of the object's group (readers, getters,
  // strangers) are answered up to this many bytes per peer and second, blocks and LOCATED answers
  // (manifest and view) drawing on one token bucket (burst one second of it; an answer larger than
  // the burst costs the whole burst); over it the answer is BUTTER_E_AGAIN ("busy"), which a
  // fetcher or locater takes as "ask another member, or this one later". Views sent back to a
  // non-member's VIEW or heartbeat draw on it too (over it: not sent). Members are not charged:
  // repair is never throttled by readers. 256 MiB/s (2 Gbit/s): at 64 it was what bound one
  // reader's get to 65 MiB/s, half a gigabit link; one peer still cannot take a 10 GbE node.
  std::uint64_t serve_bytes_per_s = 256u * 1024 * 1024;
  // A member removed from the view (suspected dead, say across a partition) keeps being sent this
  // group's heartbeat entry for this long, at growing intervals (2 to 32 heartbeats), so that when
  // it comes back holding a group of its own for the object — both sides of a partition repaired
  // their half to r — the two groups meet and merge (see on_view).
  std::uint64_t departed_ms = 10 * 60 * 1000;
  // A recruit's reservation (budget and peer quota) lapses when no block arrived for this long,
  // and in any case at complete_timeout_ms: an unfinished recruit never holds space for ever.
  std::uint64_t reservation_idle_ms = 10000;
  // Bytes held or reserved here on behalf of one peer (the leader that recruited this node).
  // 0: capacity / 8.
  std::uint64_t peer_quota_bytes = 0;
  bool repair = true;  // off: no heartbeats, no repair (the bench's baseline)
  // Proof of possession (possession.hpp): each member holding the data audits every other proven
  // member once per audit_ms (+- jitter), at most audit_per_tick new audits per tick over all
  // groups; it answers challenges of each peer up to answer_bytes_per_s bytes hashed or sent.
  std::uint64_t audit_ms = 10 * 60 * 1000;
  std::uint32_t audit_per_tick = 32;
  std::uint64_t answer_bytes_per_s = 8u * 1024 * 1024;
  bool placement_loopback_exempt = true;  // placement.hpp: loopback addresses are not limited
};

struct Send {
  Hash to{};
  std::vector<std::string> endpoints;  // where `to` listens, when known (for the transport)
  MsgType type = MsgType::Heartbeat;
  std::vector<std::uint8_t> bytes;
};

// StreamChunk: bytes [offset, offset + data.size()) of a streamed read `ticket`; StreamDone: the
// read ended (status, message; offset = the first byte not delivered, where a resume starts).
// StreamLocated: a read opened with tell_located found and verified its object's manifest (the
// encoded manifest in `data`), before any chunk.
enum class EventKind { PutDone, GetDone, Stored, Dropped, ViewChanged, StreamChunk, StreamDone, StreamLocated };

struct Event {
  EventKind kind = EventKind::Stored;
  std::uint64_t ticket = 0;  // PutDone, GetDone
  butter_status status = BUTTER_OK;
  Hash object{};
  std::uint32_t replicas = 0;      // PutDone: members holding it
  std::vector<std::uint8_t> data;  // GetDone, StreamChunk
  std::string message;
  std::uint64_t offset = 0;  // StreamChunk, StreamDone
};

struct Output {
  std::vector<Send> sends;
  std::vector<Event> events;
};

struct Stats {
  std::uint64_t puts = 0, gets = 0, bad_blocks = 0, bad_messages = 0, non_member_messages = 0;
  std::uint64_t repairs = 0;            // views changed by this node as leader
  std::uint64_t recruit_requests = 0;   // recruits sent
  std::uint64_t recruit_refused = 0;    // recruits declined (by others) or timed out
  std::uint64_t recruits_declined = 0;  // recruits this node declined (budget)
  std::uint64_t views_adopted = 0, dropped = 0, stored = 0;
  std::uint64_t groups_merged = 0;         // disjoint groups of one object joined into one view here
  std::uint64_t store_failures = 0;        // copies store_durably refused (so not held)
  std::uint64_t non_member_recruits = 0;   // RECRUITs for a held group from a non-member (ignored)
  std::uint64_t recruits_over_quota = 0;   // recruits declined: the recruiting peer's quota is full
  std::uint64_t reservations_expired = 0;  // unfinished recruits dropped at their deadline
  std::uint64_t copies_retired = 0;        // copies dropped after leaving a group, once held at r elsewhere
  // Proof of possession: challenges this node sent, proofs that passed, failed (wrong or "not
  // held"), members that did not answer a challenge and its retry; challenges this node
  // answered, and those it refused (sender not a member, over its answer rate, bad range).
  std::uint64_t challenges_sent = 0, proofs_passed = 0, proofs_failed = 0, proof_timeouts = 0;
  std::uint64_t challenges_answered = 0, challenges_refused = 0;
  // Streamed reads: opened, blocks they fetched, fail-overs (a member that timed out, refused or
  // sent a bad block and was replaced for that block), and reads that ended without the range.
  std::uint64_t streams_opened = 0, stream_blocks = 0, stream_failovers = 0, streams_failed = 0;
  std::uint64_t blocks_served = 0;         // FETCHes this node answered with the block
  std::uint64_t fetches_busy = 0;          // FETCHes answered AGAIN: the sender was over its serve rate
  std::uint64_t locates_busy = 0;          // LOCATEs answered AGAIN: the sender was over its serve rate
  std::uint64_t view_replies_busy = 0;     // views not sent back to a non-member: over its serve rate
  std::uint64_t gets_too_large = 0;        // gets failed (NOMEM) before fetching: larger than the caller takes
  std::uint64_t stream_peak_buffered = 0;  // the most bytes one read has held buffered (high-water mark)
  std::uint64_t stream_throttled = 0;      // times a read waited because all reads held stream_buffer_bytes
  std::array<std::uint64_t, kMsgTypes> sent{}, received{};
};

}  // namespace butter::pcg
