// Gets (gets.hpp): a get from a node that does not hold the object whole. It asks its candidates
// where the object is (LOCATE), takes the first verified answer (LOCATED: the manifest, checked
// against the id, and the group's view), then fetches every block from the members that answer
// names, failing over to the next one on a timeout or a bad block, and assembles the object.
#include "gets.hpp"

#include "deadlines.hpp"
#include "sources.hpp"

#include <butter/iface/storage3.h>

#include <algorithm>

namespace butter::pcg {

std::string too_large_for_get(std::uint64_t size, std::uint64_t max_size) {
  return "object of " + std::to_string(size) + " bytes is larger than the " + std::to_string(max_size) +
         " bytes a whole-object get returns; read it as a stream (" BUTTER_IFACE_STORAGE_V3
         " open_read, or HTTP GET /storage/<id>)";
}

void Gets::start(std::uint64_t ticket, const Hash& id, const Located* located, const std::vector<Candidate>& candidates,
                 bool more_coming, std::uint64_t max_size, std::uint64_t now, Output& out) {
  Getter& gt = getters_[ticket];
  gt.ticket = ticket;
  gt.id = id;
  gt.deadline = now + cfg_.get_timeout_ms;
  gt.more_coming = more_coming;
  gt.max_size = max_size;
  if (located) {
    gt.located = true;
    gt.manifest = located->manifest;
    gt.sources = located->sources;
    gt.data.expect(gt.manifest.blocks.size());
  }
  add_candidates(ticket, candidates, more_coming, now, out);
}

void Gets::add_candidates(std::uint64_t ticket, const std::vector<Candidate>& candidates, bool more_coming,
                          std::uint64_t now, Output& out) {
  auto it = getters_.find(ticket);
  if (it == getters_.end()) return;
  Getter& gt = it->second;
  gt.more_coming = more_coming;
  if (!gt.located) {
    for (const auto& c : candidates) {
      if (c.id == self_ || gt.asked.count(c.id)) continue;
      if (gt.asked.size() >= kMaxLocateAsks) break;  // as a streamed read (sources.hpp)
      gt.asked.insert(c.id);
      node_.learn(c);
      ask(gt, c.id, now, out);
    }
  }
  step(gt, now, out);
}

void Gets::ask(Getter& gt, const Hash& to, std::uint64_t now, Output& out) {
  gt.asking.sent(to, now + cfg_.request_timeout_ms);
  Message m;
  m.type = MsgType::Locate;
  m.object = gt.id;
  m.number = gt.ticket;
  node_.send(out, to, m);
}

void Gets::tick(std::uint64_t now, Output& out) {
  // step() may end (erase) the get it steps.
  std::vector<std::uint64_t> tickets;
  for (const auto& [t, gt] : getters_) tickets.push_back(t);
  for (auto t : tickets) {
    auto it = getters_.find(t);
    if (it != getters_.end()) step(it->second, now, out);
  }
}

void Gets::finish(std::uint64_t ticket, butter_status st, std::vector<std::uint8_t> data, std::string msg,
                  Output& out) {
  auto it = getters_.find(ticket);
  if (it == getters_.end()) return;
  out.events.push_back(Event{EventKind::GetDone, ticket, st, it->second.id, 0, std::move(data), std::move(msg)});
  getters_.erase(it);
}

void Gets::step(Getter& gt, std::uint64_t now, Output& out) {
  const std::uint64_t ticket = gt.ticket;
  if (now >= gt.deadline) {
    // Not located by the deadline with answers still due (or the search still out) is not "not
    // found": the caller could not tell it from an object nobody holds, and would not try again.
    finish(ticket, BUTTER_E_TIMEOUT, {},
           gt.located ? "the group did not deliver every block in time"
                      : (gt.more_coming ? "not located in time: the search had not finished"
                                        : "not located in time: the nodes asked were busy or had not answered"),
           out);
    return;
  }
  if (!gt.located) {
    for (const Hash& h : gt.asking.due(now)) ask(gt, h, now, out);
    if (!gt.asking.waiting() && !gt.more_coming)
      finish(ticket, BUTTER_E_NOT_FOUND, {}, "no reachable node holds the object", out);
    return;
  }
  if (gt.manifest.size > gt.max_size) {
    // Known from the verified manifest before any block is asked for: an object the caller
    // cannot take is not fetched into memory first (a manifest may describe up to 64 GiB).
    ++stats_.gets_too_large;
    finish(ticket, BUTTER_E_NOMEM, {}, too_large_for_get(gt.manifest.size, gt.max_size), out);
    return;
  }
  gt.data.expire(now);
  if (gt.data.have_count() == gt.manifest.blocks.size()) {
    std::string why;
    auto data = assemble(gt.manifest, gt.data.blocks(), why);
    if (data) {
      finish(ticket, BUTTER_OK, std::move(*data), {}, out);
    } else {
      finish(ticket, BUTTER_E_INTERNAL, {}, why, out);
    }
    return;
  }
  if (!gt.data.pump(node_, gt.manifest, gt.id, gt.sources, now, out) && !gt.data.in_flight()) {
    finish(ticket, BUTTER_E_NOT_FOUND, {}, "no member of the group could serve every block", out);
  }
}

bool Gets::on_located(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  auto it = getters_.find(m.number);
  if (it == getters_.end()) return false;
  if (it->second.id != m.object) return true;  // stale
  Getter& gt = it->second;
  if (!gt.asking.answered(from)) return true;
  if (!gt.located && m.status == BUTTER_E_AGAIN) {
    // Busy (this node is over its serve rate there), not missing: asked again after the wait a
    // busy member's FETCH gets (deadlines.hpp), within the get's deadline.
    gt.asking.busy(from, now + jittered(retry_wait(0, cfg_.request_timeout_ms), node_.random()));
  } else if (!gt.located && m.status == BUTTER_OK) {
    std::string why;
    auto man = verify_manifest(m.object, m.manifest, why);
    if (!man) {
      ++stats_.bad_messages;
    } else {
      gt.located = true;
      gt.manifest = std::move(*man);
      gt.sources = located_sources(from, m.view, self_, cfg_.r);  // the sender's word: at most r
      // The endpoints of those only: a view names up to 64 ids, and its sender writes it.
      for (const auto& mem : m.view.members)
        if (std::find(gt.sources.begin(), gt.sources.end(), mem.id) != gt.sources.end())
          node_.learn(Candidate{mem.id, mem.endpoints, -1});
      gt.data.expect(gt.manifest.blocks.size());
    }
  }
  step(gt, now, out);
  return true;
}

bool Gets::on_block(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  for (auto& [ticket, gt] : getters_) {
    if (gt.id == m.object && gt.located && gt.data.asked(m.index, from)) {
      gt.data.accept(node_, gt.manifest, from, m, now);
      step(gt, now, out);
      return true;
    }
  }
  return false;
}

}  // namespace butter::pcg
