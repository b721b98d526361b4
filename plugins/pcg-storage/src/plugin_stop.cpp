// PcgStorage::stop: everything still waiting is answered, so no HTTP client, put or read
// consumer waits for a deadline that will never come; open puts give their reservation back.
#include "pcg_plugin.hpp"

namespace butter::pcg {

void PcgStorage::stop() {
  stopping_ = true;  // the handlers run below cannot start anything new
  tick_timer_.cancel();
  flush_timer_.cancel();
  // Answer what is still waiting, so no HTTP client or consumer waits for a deadline.
  auto pending = std::exchange(pending_, {});
  for (auto& [t, p] : pending) {
    if (p.http) p.http->fail(503, "storage stopping");
    if (p.callback) {
      Event e{EventKind::PutDone, t, BUTTER_E_CANCELLED, {}, 0, {}, "storage stopping"};
      p.callback(e);
    }
  }
  // Each open read, also one whose end is queued (deferred_) but not yet delivered, ends with
  // the offset its consumer reached: the chunks it was handed, not what the engine fetched.
  auto reads = std::exchange(reads_, {});
  for (auto& [id, r] : reads) {
    engine_->stream_cancel(id);
    if (r.handlers.done) r.handlers.done(BUTTER_E_CANCELLED, r.delivered, "storage stopping");
  }
  for (const auto& [id, op] : puts_) engine_->give_back_put(op.aside);
  puts_.clear();
  deferred_.clear();
  db_.close();
}

}  // namespace butter::pcg
