// StreamReads (stream_reads.hpp): streamed reads (butter.storage/3). A read learns the manifest (from its own
// group, else by LOCATE, verified against the id), then fetches the blocks of its range from
// several members at once — each block from the least busy member that has not failed it — and
// verifies each on arrival. Verified blocks wait in `ready` until the consumer's credit lets them
// out, in order. Blocks in flight plus blocks ready never exceed the read's window, so memory per
// read is bounded by window x block size whatever the object's size. A member that times out or
// answers AGAIN (busy) backs off and is asked again later; one that sends a bad block is evicted
// from the read; one that refuses a block is not asked for that block again. One LOCATED answer
// adds at most r sources. A read that runs out of members ends with the offset it reached, where a new
// read resumes without fetching delivered blocks again (only the block holding that offset).
#include "stream_reads.hpp"

#include "deadlines.hpp"
#include "sources.hpp"

#include <algorithm>
#include <limits>

namespace butter::pcg {

butter_status StreamReads::open(std::uint64_t sid, const Hash& id, std::uint64_t offset, std::uint64_t length,
                                std::uint32_t window, const std::vector<Candidate>& candidates, bool more_coming,
                                std::uint64_t now, Output& out, std::string& why, bool tell_located) {
  if (window == 0 || window > kMaxWindow) {
    why = "read window must be 1.." + std::to_string(kMaxWindow) + " blocks, got " + std::to_string(window);
    return BUTTER_E_INVALID;
  }
  if (reads_.size() >= kMaxReads) {
    why = "too many streamed reads open (" + std::to_string(kMaxReads) + ")";
    return BUTTER_E_NOMEM;
  }
  if (reads_.count(sid) || node_.ticket_in_use(sid)) {
    why = "read id already in use";
    return BUTTER_E_INVALID;
  }
  ++stats_.streams_opened;
  Read& s = reads_[sid];
  s.sid = sid;
  s.id = id;
  s.offset = offset;
  s.length = length;
  s.window = window;
  s.next_offset = offset;
  s.deadline = now + cfg_.stream_idle_ms;
  s.report.window = window;
  s.tell_located = tell_located;
  if (auto held = node_.held_copy(id)) {
    // This node is in the group: its manifest is verified already, and it is a source for the
    // blocks it holds (asked first), the other members for the rest.
    located(s, self_, held->manifest, held->view, out);
  }
  add_candidates(sid, candidates, more_coming, now, out);
  return BUTTER_OK;
}

void StreamReads::add_candidates(std::uint64_t sid, const std::vector<Candidate>& candidates, bool more_coming,
                                 std::uint64_t now, Output& out) {
  auto it = reads_.find(sid);
  if (it == reads_.end()) return;
  Read& s = it->second;
  s.more_coming = more_coming;
  for (const auto& c : candidates) {
    // Asked even once located: each LOCATED adds its sender and its view's members as sources.
    if (c.id == self_ || s.sources.count(c.id) || s.asked.count(c.id)) continue;
    if (s.asked.size() >= kMaxLocateAsks) break;
    s.asked.insert(c.id);
    node_.learn(c);
    ask(s, c.id, now, out);
  }
  step(s, now, out);
}

void StreamReads::ask(Read& s, const Hash& to, std::uint64_t now, Output& out) {
  s.asking.sent(to, now + cfg_.request_timeout_ms);
  Message m;
  m.type = MsgType::Locate;
  m.object = s.id;
  m.number = s.sid;
  node_.send(out, to, m);
}

void StreamReads::credit(std::uint64_t sid, std::uint32_t chunks) {
  auto it = reads_.find(sid);
  if (it == reads_.end()) return;
  Read& s = it->second;
  s.credit = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{s.credit} + chunks, s.window));
}

void StreamReads::pump(std::uint64_t sid, std::uint64_t now, Output& out) {
  auto it = reads_.find(sid);
  if (it != reads_.end()) step(it->second, now, out);
}

std::optional<StreamReads::Report> StreamReads::report(std::uint64_t sid) const {
  auto it = reads_.find(sid);
  if (it == reads_.end()) return std::nullopt;
  Report r = it->second.report;
  r.credit = it->second.credit;
  r.in_flight = static_cast<std::uint32_t>(it->second.fetching.size());
  r.next_offset = it->second.next_offset;
  r.object_size = it->second.located ? it->second.manifest.size : 0;
  r.sources = static_cast<std::uint32_t>(usable_sources(it->second));
  return r;
}

std::size_t StreamReads::usable_sources(const Read& s) {
  std::size_t n = 0;
  for (const auto& [h, src] : s.sources) n += !src.evicted;
  return n;
}

bool StreamReads::add_source(Read& s, const Hash& h) {
  if (s.sources.count(h) || s.sources.size() >= kMaxKnown || usable_sources(s) >= kMaxSources) return false;
  s.sources.emplace(h, Source{});
  s.order.push_back(h);
  return true;
}

std::uint64_t StreamReads::backoff(std::uint32_t timeouts) {
  // request_timeout_ms / 4 after a busy answer, then the timeout doubled per consecutive timeout
  // (at most 8 times), with up to a quarter more at random so members that failed together are
  // not all asked again in the same tick.
  return jittered(retry_wait(timeouts, cfg_.request_timeout_ms), node_.random());
}

std::uint64_t StreamReads::fetch_deadline(std::uint32_t queued, std::uint64_t now) {
  const std::uint64_t t = std::max<std::uint64_t>(1, cfg_.request_timeout_ms);
  return queued_deadline(now, t, queued, cfg_.stream_per_member) + node_.random() % (t / 8 + 1);
}

void StreamReads::located(Read& s, const Hash& from, const Manifest& m, const View& view, Output& out) {
  if (!s.located) {
    s.located = true;
    s.manifest = m;
    if (s.tell_located)  // before any chunk or the end: both come later in `out`
      out.events.push_back(Event{EventKind::StreamLocated, s.sid, BUTTER_OK, s.id, 0, encode_manifest(m), {}});
    s.report.block_size = m.block_size;
    const std::uint64_t size = m.size;
    s.end = s.offset >= size ? s.offset : s.offset + std::min(s.length, size - s.offset);
    if (s.offset < s.end) {
      s.next_block = static_cast<std::uint32_t>(s.offset / m.block_size);
      s.end_block = static_cast<std::uint32_t>((s.end + m.block_size - 1) / m.block_size);
    }
  }
  // One answer adds at most r sources (its sender first): a view is written by its sender, so a
  // liar's answer could otherwise fill the read's sources with ids that never answer. Each
  // further answer adds its own r; members that lie are evicted (stream_block).
  std::size_t added = 0;
  if (add_source(s, from)) ++added;
  for (const auto& mem : view.members) {
    if (added >= cfg_.r) break;
    if (mem.id == self_ || !add_source(s, mem.id)) continue;
    ++added;
    node_.learn(Candidate{mem.id, mem.endpoints, -1});  // only sources: the sender writes the view
  }
}

void StreamReads::done(Read& s, butter_status st, std::string msg, Output& out) {
  if (st != BUTTER_OK) ++stats_.streams_failed;
  Event e{EventKind::StreamDone, s.sid, st, s.id, 0, {}, std::move(msg)};
  e.offset = s.next_offset;
  out.events.push_back(std::move(e));
  reads_.erase(s.sid);  // `s` is gone
}

std::uint64_t StreamReads::held_bytes(const Read& s) {
  return s.report.buffered_bytes + std::uint64_t{s.manifest.block_size} * s.fetching.size();
}

std::uint64_t StreamReads::buffered_bytes() const {
  std::uint64_t total = 0;
  for (const auto& [sid, s] : reads_) total += held_bytes(s);
  return total;
}

bool StreamReads::fetch(Read& s, std::uint64_t now, Output& out) {
  const std::uint32_t limit = std::max<std::uint32_t>(1, cfg_.stream_per_member);
  // Node-wide: what every read holds or asked for, against cfg_.stream_buffer_bytes.
  std::uint64_t node_total = cfg_.stream_buffer_bytes ? buffered_bytes() : 0;
  s.throttled = false;
  const std::optional<ReadNode::HeldCopy> held = node_.held_copy(s.id);  // this node's own blocks
  for (std::uint32_t i = s.next_block; i < s.end_block; ++i) {
    if (s.fetching.size() + s.ready.size() >= s.window) break;
    if (s.ready.count(i) || s.fetching.count(i)) continue;
    if (cfg_.stream_buffer_bytes && node_total + s.manifest.block_size > cfg_.stream_buffer_bytes) {
      // Backpressure, not failure: this read waits until other reads deliver (tick re-pumps it).
      s.throttled = true;
      ++stats_.stream_throttled;
      break;
    }
    const auto tried_it = s.tried.find(i);
    auto tried_by = [&](const Hash& h) { return tried_it != s.tried.end() && tried_it->second.count(h); };
    // This node first when it holds the block (no network); else the least busy member that has
    // not failed, starting the scan at a different member per block to spread ties.
    std::optional<Hash> pick;
    bool anyone_left = false;
    std::uint32_t best = limit;
    for (std::size_t k = 0; k < s.order.size(); ++k) {
      const Hash& h = s.order[(i + k) % s.order.size()];
      const Source& src = s.sources.at(h);
      if (src.evicted || tried_by(h)) continue;
      if (h == self_) {
        if (!held || i >= held->have.size() || !held->have[i]) continue;
        pick = h;
        anyone_left = true;
        break;
      }
      anyone_left = true;
      if (now < src.retry_at) continue;  // backing off: asked again later, not given up
      if (src.in_flight < best) {
        best = src.in_flight;
        pick = h;
      }
    }
    if (!anyone_left) return false;
    if (!pick) break;  // every member that could serve it is at its limit: wait for answers
    if (*pick == self_) {
      const std::vector<std::uint8_t>& b = held->blocks[i];
      if (!verify_block(s.manifest, i, b)) {  // held copies are verified on every read
        ++stats_.bad_blocks;
        ++s.report.bad_blocks;
        s.tried[i].insert(self_);
        --i;  // the loop's ++i: the same block again, now from another member
        continue;
      }
      s.ready[i] = b;
      node_total += s.manifest.block_size;
      s.report.buffered_bytes += b.size();
      s.report.peak_buffered_bytes = std::max(s.report.peak_buffered_bytes, s.report.buffered_bytes);
      stats_.stream_peak_buffered = std::max(stats_.stream_peak_buffered, s.report.peak_buffered_bytes);
      ++s.report.served_by[self_];
      continue;
    }
    Source& chosen = s.sources[*pick];
    s.fetching[i] = Request{*pick, fetch_deadline(chosen.in_flight, now)};
    ++chosen.in_flight;
    node_total += s.manifest.block_size;
    Message f;
    f.type = MsgType::Fetch;
    f.object = s.id;
    f.index = i;
    node_.send(out, *pick, f);
  }
  return true;
}

void StreamReads::step(Read& s, std::uint64_t now, Output& out) {
  if (!s.located) {
    for (const Hash& h : s.asking.due(now)) ask(s, h, now, out);
    // NOT_FOUND only once every node asked answered (or gave up) and the search is done: a client
    // takes it as the end of the matter (butter get fails at once). At the deadline with answers
    // still due (or a busy holder still to ask again), the read does not know, and says so (HTTP
    // 504, not 404).
    if (!s.asking.waiting() && !s.more_coming) {
      done(s, BUTTER_E_NOT_FOUND, "no reachable node holds the object", out);
    } else if (now >= s.deadline) {
      done(s, BUTTER_E_TIMEOUT,
           "not located within " + std::to_string(cfg_.stream_idle_ms) +
               " ms: " + (s.more_coming ? std::string("the search had not finished") : "a node asked had not answered"),
           out);
    }
    return;
  }
  if (s.offset > s.manifest.size) {
    done(s, BUTTER_E_INVALID,
         "offset " + std::to_string(s.offset) + " is past the object's end (" + std::to_string(s.manifest.size) +
             " bytes)",
         out);
    return;
  }
  for (auto it = s.fetching.begin(); it != s.fetching.end();) {
    if (now < it->second.deadline) {
      ++it;
      continue;
    }
    // A member that does not answer in time backs off (longer each time in a row): the block is
    // asked of another member now, and this one is used again once its wait is over.
    Source& src = s.sources[it->second.from];
    if (src.in_flight) --src.in_flight;
    ++src.timeouts;
    src.retry_at = std::max(src.retry_at, now + backoff(src.timeouts));
    ++s.report.timeouts;
    ++stats_.stream_failovers;
    it = s.fetching.erase(it);
  }
  // Deliver in order what credit allows: the part of each block inside the range.
  const std::uint64_t bs = s.manifest.block_size;
  while (s.credit > 0 && s.next_block < s.end_block) {
    auto it = s.ready.find(s.next_block);
    if (it == s.ready.end()) break;
    std::vector<std::uint8_t> block = std::move(it->second);
    s.ready.erase(it);
    s.report.buffered_bytes -= block.size();
    const std::uint64_t start = bs * s.next_block;
    const std::uint64_t from = std::max(s.next_offset, start) - start;
    const std::uint64_t to = std::min<std::uint64_t>(s.end - start, block.size());
    Event e{EventKind::StreamChunk, s.sid, BUTTER_OK, s.id, 0, {}, {}};
    e.offset = start + from;
    if (from == 0 && to == block.size()) {
      e.data = std::move(block);
    } else {
      e.data.assign(block.begin() + static_cast<std::ptrdiff_t>(from), block.begin() + static_cast<std::ptrdiff_t>(to));
    }
    s.next_offset = start + to;
    s.tried.erase(s.next_block);  // what failed for a delivered block no longer matters
    ++s.next_block;
    --s.credit;
    out.events.push_back(std::move(e));
  }
  if (s.next_block >= s.end_block) {
    s.next_offset = s.end;
    done(s, BUTTER_OK, {}, out);
    return;
  }
  if (!fetch(s, now, out)) {
    // A holder that was busy when asked where the object is may be a source once asked again.
    for (const Hash& h : s.asking.due(now)) ask(s, h, now, out);
    if (s.fetching.empty() && !s.asking.waiting() && !s.more_coming) {
      done(s, BUTTER_E_UNAVAILABLE,
           "no member of the group can serve the rest; " + std::to_string(s.next_offset) +
               " bytes delivered, reopen at that offset to resume",
           out);
      return;
    }
  }
  // Waiting on the network (not on the consumer's credit) for too long ends the read.
  const bool waiting_on_consumer = s.credit == 0 && s.ready.count(s.next_block);
  // Held back by the node-wide bound with nothing of its own on the way: waiting on the node.
  const bool waiting_on_node = s.throttled && s.fetching.empty();
  if (waiting_on_consumer || waiting_on_node) {
    s.deadline = now + cfg_.stream_idle_ms;
  } else if (now >= s.deadline) {
    done(s, BUTTER_E_TIMEOUT,
         "no block arrived for " + std::to_string(cfg_.stream_idle_ms) + " ms; " + std::to_string(s.next_offset) +
             " bytes delivered, reopen at that offset to resume",
         out);
  }
}

void StreamReads::block(Read& s, const Hash& from, Message& m, std::uint64_t now, Output& out) {
  s.fetching.erase(m.index);
  Source& src = s.sources[from];
  if (src.in_flight) --src.in_flight;
  if (m.status == BUTTER_E_AGAIN) {
    ++s.report.busy;  // over its serve rate: another member now, this one after a short wait
    src.retry_at = std::max(src.retry_at, now + backoff(0));
  } else if (m.status != BUTTER_OK) {
    ++s.report.refusals;  // it does not hold that block (a recruit still filling): ask another
    ++stats_.stream_failovers;
    s.tried[m.index].insert(from);
  } else if (!verify_block(s.manifest, m.index, m.data)) {
    ++stats_.bad_blocks;
    ++stats_.stream_failovers;
    ++s.report.bad_blocks;
    // A member that sends a bad block is not trusted for the others either: evicted, which frees
    // its place among the read's sources for a member a later LOCATED names.
    src.evicted = true;
    s.tried[m.index].insert(from);
  } else {
    ++stats_.stream_blocks;
    ++s.report.blocks_fetched;
    ++s.report.served_by[from];
    src.timeouts = 0;
    src.retry_at = 0;
    s.report.buffered_bytes += m.data.size();
    s.report.peak_buffered_bytes = std::max(s.report.peak_buffered_bytes, s.report.buffered_bytes);
    stats_.stream_peak_buffered = std::max(stats_.stream_peak_buffered, s.report.peak_buffered_bytes);
    s.ready[m.index] = std::move(m.data);
    s.deadline = now + cfg_.stream_idle_ms;
  }
  step(s, now, out);
}

void StreamReads::tick(std::uint64_t now, Output& out) {
  std::vector<std::uint64_t> sids;  // a step may end (erase) its read
  for (const auto& [sid, st] : reads_) sids.push_back(sid);
  for (auto sid : sids) {
    auto it = reads_.find(sid);
    if (it != reads_.end()) step(it->second, now, out);
  }
}

bool StreamReads::on_located(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  auto it = reads_.find(m.number);
  if (it == reads_.end() || it->second.id != m.object) return false;
  Read& s = it->second;
  if (!s.asking.answered(from)) return true;  // unasked or late
  if (m.status == BUTTER_E_AGAIN) {
    // Busy (this node is over its serve rate there), not missing: asked again after the wait a
    // busy member's FETCH gets, within the read's deadline.
    s.asking.busy(from, now + backoff(0));
  } else if (m.status == BUTTER_OK) {
    std::string why;
    auto man = verify_manifest(m.object, m.manifest, why);
    if (!man) {
      ++stats_.bad_messages;
    } else {
      located(s, from, *man, m.view, out);
    }
  }
  step(s, now, out);
  return true;
}

bool StreamReads::on_block(const Hash& from, Message& m, std::uint64_t now, Output& out) {
  for (auto& [sid, s] : reads_) {
    if (s.id != m.object) continue;
    auto f = s.fetching.find(m.index);
    if (f == s.fetching.end() || f->second.from != from) continue;
    block(s, from, m, now, out);
    return true;
  }
  return false;
}

}  // namespace butter::pcg
