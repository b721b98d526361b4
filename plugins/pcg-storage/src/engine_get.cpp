// Engine, continued: gets. A complete copy held here answers at once; otherwise the get goes to
// Gets (gets.hpp: locate -> located -> fetch with fail-over to the next holder). This node's own
// side of a get from elsewhere, answering LOCATE, is here too.
#include "engine.hpp"

#include <algorithm>

namespace butter::pcg {

void Engine::get(std::uint64_t ticket, const Hash& id, const std::vector<Candidate>& candidates, bool more_coming,
                 std::uint64_t now, Output& out, std::uint64_t max_size) {
  ++stats_.gets;
  Group* g = group(id);
  if (g && g->complete && g->manifest.size > max_size) {
    ++stats_.gets_too_large;
    out.events.push_back(
        Event{EventKind::GetDone, ticket, BUTTER_E_NOMEM, id, 0, {}, too_large_for_get(g->manifest.size, max_size)});
    return;
  }
  if (g && g->complete) {
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
  if (!g) {
    gets_.start(ticket, id, nullptr, candidates, more_coming, max_size, now, out);
    return;
  }
  // A member still filling its copy: fetch from the group directly.
  const Gets::Located located{g->manifest, group_sources(*g)};
  gets_.start(ticket, id, &located, candidates, more_coming, max_size, now, out);
}

// --- LOCATE: where an object is, for gets and streamed reads on other nodes ----------------------

void Engine::on_locate(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  Message r;
  r.type = MsgType::Located;
  r.object = m.object;
  r.number = m.number;
  const Group* g = group(m.object);
  if (!g) {
    r.status = BUTTER_E_NOT_FOUND;
    send(out, from, r);
    return;
  }
  // A LOCATE of 42 bytes asks for the manifest (up to kMaxManifestBytes) and the view: answered
  // to a peer outside the group only within the same serve rate as its FETCHes, else one peer
  // could pull manifests at wire speed. Sized before the manifest is copied, so a refused asker
  // costs no copy; refused, it is told AGAIN (busy) and asks again later, as a FETCH is.
  r.status = BUTTER_OK;
  r.view = g->view;
  const std::uint64_t cost = encoded_size(r) + g->manifest_bytes.size();
  if (!g->view.contains(from) && !within_serve_rate(from, cost, now)) {
    r.status = BUTTER_E_AGAIN;
    r.view = View{};
    ++stats_.locates_busy;
  } else {
    r.manifest = g->manifest_bytes;
  }
  send(out, from, r);
}

void Engine::on_located(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  if (gets_.on_located(from, m, now, out)) return;
  reads_.on_located(from, m, now, out);  // an answer to a streamed read, or stale
}

}  // namespace butter::pcg
