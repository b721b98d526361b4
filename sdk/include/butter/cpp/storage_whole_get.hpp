// butter/cpp/storage_whole_get.hpp — Storage::get (storage.hpp) of a whole object through a
// streamed read of butter.storage/3, for providers that serve it. /1's get answers on the events
// bus, which carries at most 64 KiB: a wiki page of 100 KB could not be read on another node.
// Read as a stream, an object of any size up to the caller's `max_bytes` comes whole.
#pragma once

#include <butter/cpp/storage_results.hpp>
#include <butter/cpp/storage_streams.hpp>
#include <butter/cpp/timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace butter::detail {

// One get in progress, owned by the instance's Core (a slot), so that it ends with the instance
// if the provider never answers. Its read, deadline and handler are found by key, never by
// pointer: the slot may be gone by the time a callback runs.
struct WholeGet : Slot {
  StorageRead read;
  Timer deadline;
  std::string data;
  std::string object_id;
  std::uint64_t max_bytes = 0;
  GetHandler fn;
  bool finished = false;

  // Ends get `key` with `st` (the data when OK): its handler runs once, then the slot goes
  // (deferred while a callback runs: the read's own handler may be the caller).
  static void finish(Core* core, std::uint64_t key, Status st) {
    auto* g = core->find<WholeGet>(key);
    if (!g || g->finished) return;
    g->finished = true;
    GetResult r;
    r.object_id = g->object_id;
    if (st.ok()) r.data = std::move(g->data);
    r.status = std::move(st);
    GetHandler fn = std::move(g->fn);
    g->deadline.cancel();
    g->read.cancel();
    core->drop(key);
    if (fn) fn(r);
  }

  static void on_chunk(Core* core, std::uint64_t key, Bytes chunk) {
    auto* g = core->find<WholeGet>(key);
    if (!g || g->finished) return;
    if (g->data.size() + chunk.size() > g->max_bytes) {
      return finish(core, key,
                    Status(BUTTER_E_NOMEM, "object larger than the " + std::to_string(g->max_bytes) +
                                               " bytes this get takes whole; read it as a stream (open_read)"));
    }
    g->data.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    (void)g->read.credit(1);  // one chunk taken, one more asked: the window stays full
  }
};

}  // namespace butter::detail
