// Deadlines that grow with the work they wait for (issue 18). A fixed timeout is right for a
// message that costs the same whatever is stored (an ack, a heartbeat), wrong for work that grows
// with the object (a recruit filling its copy, a put reaching r members) or that queues behind
// other work (the fourth block asked of one member). On a loaded machine those fixed timeouts cut
// off transfers that were progressing, the group started over, and it never caught up. So:
//  - work proportional to bytes gets its fixed part plus the time the bytes take at the slowest
//    rate this node waits for (Config::min_transfer_bytes_per_s), fixed when the work starts, so
//    a peer that stalls is cut off at a known bound however large the object is;
//  - a block request whose member answers its other requests is making progress: its deadline
//    moves on with each answer, up to kMaxFetchStretch timeouts from when it was sent;
//  - a node that did not run for a while (its own ticks came late) does not count that time
//    against its peers' heartbeats (pause_credit);
//  - a member that timed out or answered busy is asked again after a back-off (retry_wait,
//    jittered), and requests queued at one member wait behind each other (queued_deadline):
//    the same rules for a group's transfers and for streamed reads.
// Pure functions of their arguments, so the rules are tested on their own and in the engine.
#pragma once
#include <algorithm>
#include <cstdint>

namespace butter::pcg {

// A block request is given at most this many request timeouts from when it was sent, however
// often its member answers the requests queued before it.
inline constexpr std::uint64_t kMaxFetchStretch = 8;

// Milliseconds `bytes` take at `rate` bytes per second (0 when the rate is 0: no allowance).
// Written so that no product overflows for any object size.
inline std::uint64_t transfer_ms(std::uint64_t bytes, std::uint64_t rate) {
  if (rate == 0) return 0;
  return bytes / rate * 1000 + bytes % rate * 1000 / rate;
}

// The deadline of a request from `member` still in flight when that member answered an earlier
// one at `now`: a full timeout from now, never more than kMaxFetchStretch timeouts from
// `issued`, never earlier than it was.
inline std::uint64_t extended_deadline(std::uint64_t deadline, std::uint64_t issued, std::uint64_t now,
                                       std::uint64_t timeout_ms) {
  return std::max(deadline, std::min(now + timeout_ms, issued + kMaxFetchStretch * timeout_ms));
}

// Time this node was not running, judged from its ticks: the gap between two ticks beyond one
// heartbeat interval (0 for the first tick). Others' silence over that time is not held against
// them. Only the excess over an interval is credited, so a node whose ticks are always late
// still ages its peers by at least one interval per tick, and a dead peer is still suspected.
inline std::uint64_t pause_credit(std::uint64_t last_tick, std::uint64_t now, std::uint64_t heartbeat_ms) {
  if (last_tick == 0 || now <= last_tick + heartbeat_ms) return 0;
  return now - last_tick - heartbeat_ms;
}

// How long a member is left alone before it is asked again: after it answered "busy"
// (`timeouts` 0) a quarter of the request timeout; after `timeouts` timeouts in a row the
// timeout doubled per timeout, at most 8 times it. A timeout of 0 counts as 1 ms.
inline std::uint64_t retry_wait(std::uint32_t timeouts, std::uint64_t timeout_ms) {
  const std::uint64_t base = std::max<std::uint64_t>(1, timeout_ms);
  return timeouts == 0 ? std::max<std::uint64_t>(1, base / 4) : base << std::min<std::uint32_t>(timeouts - 1, 3);
}

// `wait` plus up to a quarter more, drawn from `random`: members that failed together are not
// all asked again in the same tick.
inline std::uint64_t jittered(std::uint64_t wait, std::uint64_t random) { return wait + random % (wait / 4 + 1); }

// The deadline of a block request sent at `now` to a member with `queued` requests already
// waiting on it: later requests wait behind earlier ones, so each gets a share of the timeout
// more, up to twice the timeout once `limit` (0 counts as 1) are ahead of it.
inline std::uint64_t queued_deadline(std::uint64_t now, std::uint64_t timeout_ms, std::uint64_t queued,
                                     std::uint64_t limit) {
  limit = std::max<std::uint64_t>(1, limit);
  return now + timeout_ms + timeout_ms * std::min(queued, limit) / limit;
}

}  // namespace butter::pcg
