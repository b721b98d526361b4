// PcgStorage's streamed reads and puts (the C++ API under butter.storage/3 and HTTP): the glue
// between a consumer's handlers and the engine's streams (stream_reads.cpp) and BlockWriter.
// A consumer's handler is never run inside the consumer's own call: events produced by
// open_read, and credit granted, are carried out by flush() on a zero-delay timer.
#include "pcg_plugin.hpp"

#include <algorithm>

namespace butter::pcg {

butter_status PcgStorage::open_read(std::string_view id_hex, std::uint64_t offset, std::uint64_t length,
                                    std::uint32_t window, std::uint32_t initial_credit, ReadHandlers handlers,
                                    std::uint64_t& read_id, std::string& why) {
  Hash id{};
  if (!from_hex(id_hex, id)) {
    why = "an object id is 64 hex digits";
    return BUTTER_E_INVALID;
  }
  if (!handlers.chunk || !handlers.done) {
    why = "a read needs a chunk and a done handler";
    return BUTTER_E_INVALID;
  }
  if (stopping_) {
    why = "storage stopping";
    return BUTTER_E_CANCELLED;
  }
  if (window == 0) window = kDefaultReadWindow;
  const std::uint64_t sid = next_ticket_++;
  const bool held = engine_->holds(id);
  // Holders come from the known hosts at once and, when present, from butter.search/1 later
  // (its HITs and DONE arrive under the read's id: on_search_result).
  const bool searching = !held && ask_search(sid, id);
  Output out;
  const butter_status st = engine_->stream_open(sid, id, offset, length, window,
                                                held ? std::vector<Candidate>{} : known_hosts(locate_fanout_),
                                                searching, now_ms(), out, why, static_cast<bool>(handlers.located));
  if (st != BUTTER_OK) {
    search_hits_.erase(sid);
    return st;
  }
  reads_.emplace(sid, OpenRead{std::move(handlers), offset});
  read_id = sid;
  engine_->stream_credit(sid, initial_credit);
  reads_to_pump_.insert(sid);
  process(out, /*defer_events=*/true);
  schedule_flush();
  return BUTTER_OK;
}

butter_status PcgStorage::read_credit(std::uint64_t read_id, std::uint32_t chunks) {
  // Known until its done handler ran: credit given from the last chunk's handler (the engine
  // has ended the read, its done is queued) is accepted and has no effect.
  if (!reads_.count(read_id)) return BUTTER_E_NOT_FOUND;
  engine_->stream_credit(read_id, chunks);
  reads_to_pump_.insert(read_id);
  schedule_flush();
  return BUTTER_OK;
}

butter_status PcgStorage::read_cancel(std::uint64_t read_id) {
  const bool known = reads_.erase(read_id) != 0;
  engine_->stream_cancel(read_id);
  reads_to_pump_.erase(read_id);
  search_hits_.erase(read_id);
  // Its chunks already queued (deferred_) find no handler and are dropped with the queue.
  sync_metrics();
  return known ? BUTTER_OK : BUTTER_E_NOT_FOUND;
}

void PcgStorage::schedule_flush() {
  if (flush_scheduled_ || stopping_) return;
  flush_scheduled_ = true;
  flush_timer_ = after(std::chrono::milliseconds(0), [this] { flush(); });
}

void PcgStorage::flush() {
  flush_scheduled_ = false;
  auto events = std::exchange(deferred_, {});
  for (auto& e : events) deliver(e);
  // Credit granted since the last flush (possibly from inside the handlers just run): deliver
  // what is ready and fetch further. Handlers that grant more credit schedule the next flush.
  auto pumps = std::exchange(reads_to_pump_, {});
  for (const auto sid : pumps) {
    Output out;
    engine_->stream_pump(sid, now_ms(), out);
    process(out);
  }
}

void PcgStorage::deliver_stream(Event& e) {
  auto it = reads_.find(e.ticket);
  if (it == reads_.end()) return;  // cancelled: nothing more is said
  if (e.kind == EventKind::StreamLocated) {
    auto located = it->second.handlers.located;  // a copy: it may cancel the read
    if (located) located(std::span<const std::uint8_t>(e.data));
    return;
  }
  if (e.kind == EventKind::StreamChunk) {
    // A copy of the handler: the handler may cancel the read (erasing it from reads_).
    auto chunk = it->second.handlers.chunk;
    it->second.delivered = e.offset + e.data.size();
    chunk(e.offset, std::span<const std::uint8_t>(e.data));
    return;
  }
  ReadHandlers h = std::move(it->second.handlers);
  reads_.erase(it);
  search_hits_.erase(e.ticket);
  reads_to_pump_.erase(e.ticket);
  if (e.status != BUTTER_OK)
    log().info("pcg-storage: streamed read of {} ended at offset {}: {}: {}", to_hex(e.object).substr(0, 8), e.offset,
               status_name(e.status), e.message);
  h.done(e.status, e.offset, e.message);
}

// --- streamed puts ------------------------------------------------------------------------------

butter_status PcgStorage::put_begin(std::vector<std::string> keywords, std::optional<std::uint64_t> expected,
                                    std::uint64_t& put_id, std::string& why) {
  if (!keywords_ok(keywords, why)) return BUTTER_E_INVALID;
  if (stopping_) {
    why = "storage stopping";
    return BUTTER_E_CANCELLED;
  }
  if (puts_.size() >= kMaxOpenPuts) {
    why = "too many streamed puts open (" + std::to_string(kMaxOpenPuts) + ")";
    return BUTTER_E_NOMEM;
  }
  // A declared size is set aside at once: puts, recruits and other streamed puts cannot take it
  // meanwhile, so a commit within it never fails for space. Without one, written bytes are set
  // aside as they come (put_write).
  const std::uint64_t aside = expected ? *expected : 0;
  if (aside && !engine_->set_aside_for_put(aside, why)) {
    why = "put of " + std::to_string(*expected) + " bytes exceeds the free storage budget (" +
          std::to_string(engine_->budget().free()) + " bytes)";
    return BUTTER_E_NOMEM;
  }
  put_id = next_ticket_++;
  const std::uint64_t limit = expected ? *expected : engine_->budget().capacity();
  OpenPut op{std::move(keywords), expected, BlockWriter(cfg_.block_size, limit)};
  op.aside = aside;
  op.idle_deadline = now_ms() + cfg_.put_idle_ms;
  puts_.emplace(put_id, std::move(op));
  sync_metrics();
  return BUTTER_OK;
}

void PcgStorage::drop_put(std::map<std::uint64_t, OpenPut>::iterator it) {
  engine_->give_back_put(it->second.aside);
  puts_.erase(it);
  sync_metrics();
}

void PcgStorage::expire_puts(std::uint64_t now) {
  for (auto it = puts_.begin(); it != puts_.end();) {
    if (now < it->second.idle_deadline) {
      ++it;
      continue;
    }
    log().info(
        "pcg-storage: streamed put {} aborted: no write for {} ms (put_idle_ms); {} bytes written, {} set aside "
        "freed",
        it->first, cfg_.put_idle_ms, it->second.writer.written(), it->second.aside);
    ++puts_expired_;
    drop_put(it++);
  }
}

butter_status PcgStorage::put_write(std::uint64_t put_id, std::span<const std::uint8_t> bytes, std::string& why) {
  auto it = puts_.find(put_id);
  if (it == puts_.end()) {
    why = "no such open put (never opened, committed, aborted, or idle past put_idle_ms)";
    return BUTTER_E_NOT_FOUND;
  }
  OpenPut& op = it->second;
  // Every open put's bytes are held here until commit: what is written beyond what was set
  // aside is set aside now, so together they stay within the free budget.
  const std::uint64_t after = op.writer.written() + bytes.size();
  const std::uint64_t more = after > op.aside ? after - op.aside : 0;
  if (more && !engine_->set_aside_for_put(more, why)) {
    why = "put: open streamed puts would hold more than the free storage budget (" +
          std::to_string(engine_->budget().free()) + " bytes free): " + why;
    drop_put(it);  // documented: a write past the limit aborts the put
    return BUTTER_E_NOMEM;
  }
  op.aside += more;
  if (!op.writer.write(bytes, why)) {
    drop_put(it);
    return BUTTER_E_NOMEM;
  }
  op.idle_deadline = now_ms() + cfg_.put_idle_ms;
  return BUTTER_OK;
}

butter_status PcgStorage::put_commit(std::uint64_t put_id, PutDoneFn done, std::string& id_out, std::string& why) {
  auto it = puts_.find(put_id);
  if (it == puts_.end()) {
    why = "no such open put";
    return BUTTER_E_NOT_FOUND;
  }
  OpenPut op = std::move(it->second);
  puts_.erase(it);
  // The object is about to be stored: put_split charges its real size to the budget.
  engine_->give_back_put(op.aside);
  auto obj = op.writer.finish(op.keywords, op.expected, why);
  if (!obj) {
    sync_metrics();
    return BUTTER_E_INVALID;
  }
  Output out;
  Hash id{};
  const butter_status st = engine_->put_split(put_id, std::move(*obj), now_ms(), id, why, out);
  if (st != BUTTER_OK) {
    sync_metrics();
    return st;
  }
  id_out = to_hex(id);
  Pending who;
  who.callback = [done = std::move(done)](const Event& e) {
    done(e.status, e.object == Hash{} ? std::string() : to_hex(e.object), e.replicas, e.message);
  };
  pending_.emplace(put_id, std::move(who));
  process(out, /*defer_events=*/true);  // the PutDone may be ready already (r = 1): not inside this call
  return BUTTER_OK;
}

butter_status PcgStorage::put_abort(std::uint64_t put_id) {
  auto it = puts_.find(put_id);
  const bool known = it != puts_.end();
  if (known) {
    drop_put(it);
    return BUTTER_OK;
  }
  // A committed put still waiting for its result: the consumer is going away, so its handler is
  // forgotten (the object is stored and replicated all the same; its PutDone finds no one).
  auto pending = pending_.find(put_id);
  if (pending != pending_.end() && pending->second.callback) {
    pending_.erase(pending);
    return BUTTER_OK;
  }
  return BUTTER_E_NOT_FOUND;
}

}  // namespace butter::pcg
