// Engine, continued: gets, from inside a group or from a node outside it (locate -> located/have
// -> fetch with fail-over to the next holder).
#include "engine.hpp"

#include <algorithm>

namespace butter::pcg {

void Engine::get(std::uint64_t ticket, const Hash& id, const std::vector<Candidate>& candidates, bool more_coming,
                 std::uint64_t now, Output& out) {
  ++stats_.gets;
  if (Group* g = group(id)) {
    if (g->complete) {
      std::string why;
      auto data = assemble(g->manifest, g->data.blocks(), why);  // verified on every read
      if (data) {
        out.events.push_back(Event{EventKind::GetDone, ticket, BUTTER_OK, id, 0, std::move(*data), {}});
      } else {
        ++stats_.bad_blocks;
        out.events.push_back(Event{EventKind::GetDone, ticket, BUTTER_E_INTERNAL, id, 0, {}, why});
      }
      return;
    }
  }
  Getter& gt = getters_[ticket];
  gt.ticket = ticket;
  gt.id = id;
  gt.deadline = now + cfg_.get_timeout_ms;
  gt.more_coming = more_coming;
  if (Group* g = group(id)) {  // a member still filling its copy: fetch from the group directly
    gt.located = true;
    gt.manifest = g->manifest;
    gt.sources = group_sources(*g);
    gt.data.expect(gt.manifest.blocks.size());
  }
  add_get_candidates(ticket, candidates, more_coming, now, out);
}

void Engine::add_get_candidates(std::uint64_t ticket, const std::vector<Candidate>& candidates, bool more_coming,
                                std::uint64_t now, Output& out) {
  auto it = getters_.find(ticket);
  if (it == getters_.end()) return;
  Getter& gt = it->second;
  gt.more_coming = more_coming;
  if (!gt.located) {
    for (const auto& c : candidates) {
      if (c.id == self_ || !gt.asked.insert(c.id).second) continue;
      learn(c);
      gt.asking[c.id] = now + cfg_.request_timeout_ms;
      Message m;
      m.type = MsgType::Locate;
      m.object = gt.id;
      m.number = ticket;
      send(out, c.id, m);
    }
  }
  getter_step(gt, now, out);
}

// --- gets from outside the group ----------------------------------------------------------------

void Engine::finish_get(std::uint64_t ticket, butter_status st, std::vector<std::uint8_t> data, std::string msg,
                        Output& out) {
  auto it = getters_.find(ticket);
  if (it == getters_.end()) return;
  out.events.push_back(Event{EventKind::GetDone, ticket, st, it->second.id, 0, std::move(data), std::move(msg)});
  getters_.erase(it);
}

void Engine::getter_step(Getter& gt, std::uint64_t now, Output& out) {
  const std::uint64_t ticket = gt.ticket;
  if (now >= gt.deadline) {
    finish_get(ticket, gt.located ? BUTTER_E_TIMEOUT : BUTTER_E_NOT_FOUND, {},
               gt.located ? "the group did not deliver every block in time" : "no reachable node holds the object",
               out);
    return;
  }
  if (!gt.located) {
    for (auto it = gt.asking.begin(); it != gt.asking.end();)
      it = now >= it->second ? gt.asking.erase(it) : std::next(it);
    if (gt.asking.empty() && !gt.more_coming)
      finish_get(ticket, BUTTER_E_NOT_FOUND, {}, "no reachable node holds the object", out);
    return;
  }
  gt.data.expire(now);
  if (gt.data.have_count() == gt.manifest.blocks.size()) {
    std::string why;
    auto data = assemble(gt.manifest, gt.data.blocks(), why);
    if (data) {
      finish_get(ticket, BUTTER_OK, std::move(*data), {}, out);
    } else {
      finish_get(ticket, BUTTER_E_INTERNAL, {}, why, out);
    }
    return;
  }
  if (!gt.data.pump(*this, gt.manifest, gt.id, gt.sources, now, out) && !gt.data.in_flight()) {
    finish_get(ticket, BUTTER_E_NOT_FOUND, {}, "no member of the group could serve every block", out);
  }
}

void Engine::on_locate(const Hash& from, const Message& m, Output& out) {
  Message r;
  r.type = MsgType::Located;
  r.object = m.object;
  r.number = m.number;
  if (const Group* g = groups_.count(m.object) ? &groups_.at(m.object) : nullptr) {
    r.status = BUTTER_OK;
    r.view = g->view;
    r.manifest = g->manifest_bytes;
  } else {
    r.status = BUTTER_E_NOT_FOUND;
  }
  send(out, from, r);
}

void Engine::on_located(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  auto it = getters_.find(m.number);
  if (it == getters_.end()) {
    reads_.on_located(from, m, now, out);  // an answer to a streamed read, or stale
    return;
  }
  if (it->second.id != m.object) return;  // stale
  Getter& gt = it->second;
  if (!gt.asking.erase(from)) return;
  if (!gt.located && m.status == BUTTER_OK) {
    std::string why;
    auto man = verify_manifest(m.object, m.manifest, why);
    if (!man) {
      ++stats_.bad_messages;
    } else {
      learn(m.view);
      gt.located = true;
      gt.manifest = std::move(*man);
      gt.sources = located_sources(from, m.view, self_, cfg_.r);  // the sender's word: at most r
      gt.data.expect(gt.manifest.blocks.size());
    }
  }
  getter_step(gt, now, out);
}

void Engine::on_have(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  Group* g = group(m.object);
  if (!g) return;
  if (!g->view.contains(from)) {
    ++stats_.non_member_messages;
    return;
  }
  g->members[from].heard = now;
  claim(*g, from, now, out);  // HAVE is a claim: counted once proven (possession.hpp)
}

}  // namespace butter::pcg
