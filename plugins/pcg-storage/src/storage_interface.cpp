// butter.storage/1, butter.storage/2 and butter.storage-quota/1 as static C vtables over the
// PcgStorage instance. Every entry point validates its arguments and guards against exceptions (a
// C caller cannot take one). /2 is /1's four calls (the same functions) plus manifest and read,
// which hand out held bytes synchronously and read only the engine's accessors.
#include "pcg_plugin.hpp"

#include <butter/iface/storage2.h>
#include <butter/iface/storage3.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace butter::pcg {
namespace {

PcgStorage* self(const butter_plugin* p) { return butter::Plugin::from<PcgStorage>(p); }

bool valid_reply(const butter_reply_to* r) {
  return r && r->struct_size >= sizeof(butter_reply_to) && r->topic.data && r->topic.len > 0 && r->topic.len <= 1024;
}

void fill(const ObjectInfo& info, butter_storage_object_fn fn, void* user) {
  const std::string id = to_hex(info.id);
  std::vector<butter_str> kws;
  for (const auto& k : info.keywords) kws.push_back(butter_str{k.data(), k.size()});
  butter_storage_object o{};
  o.struct_size = sizeof o;
  o.object_id = butter_str{id.data(), id.size()};
  o.size_bytes = info.size;
  o.keyword_count = static_cast<uint32_t>(kws.size());
  o.keywords = kws.empty() ? nullptr : kws.data();
  o.group_size = info.group_size;
  fn(user, &o);
}

butter_status put(const butter_plugin* p, const butter_reply_to* reply, butter_bytes data, const butter_str* keywords,
                  uint32_t keyword_count, char object_id_out[65], butter_error* err) {
  PcgStorage* s = self(p);
  if (!s || !valid_reply(reply) || !object_id_out || (keyword_count && !keywords) || (data.len && !data.data))
    return butter_error_set(err, BUTTER_E_INVALID, "put: bad arguments (reply topic, id buffer, keywords or data)");
  butter_status out = BUTTER_E_INTERNAL;
  std::string why;
  const butter_status g = s->guarded("storage.put", [&] {
    std::vector<std::string> kws;
    for (uint32_t i = 0; i < keyword_count; ++i) kws.emplace_back(to_sv(keywords[i]));
    PcgStorage::Pending who;
    who.topic = std::string(to_sv(reply->topic));
    who.ticket = reply->ticket;
    std::string id;
    out = s->put(who, Bytes(data), std::move(kws), id, why);
    if (out == BUTTER_OK) {
      std::memcpy(object_id_out, id.data(), 64);
      object_id_out[64] = '\0';
    }
  });
  if (g != BUTTER_OK) return butter_error_set(err, g, "put failed");
  if (out != BUTTER_OK) return butter_error_set(err, out, why.c_str());
  return BUTTER_OK;
}

butter_status get(const butter_plugin* p, const butter_reply_to* reply, butter_str object_id, butter_error* err) {
  PcgStorage* s = self(p);
  if (!s || !valid_reply(reply)) return butter_error_set(err, BUTTER_E_INVALID, "get: bad reply topic");
  butter_status out = BUTTER_E_INTERNAL;
  std::string why;
  const butter_status g = s->guarded("storage.get", [&] {
    PcgStorage::Pending who;
    who.topic = std::string(to_sv(reply->topic));
    who.ticket = reply->ticket;
    out = s->get(who, to_sv(object_id), why);
  });
  if (g != BUTTER_OK) return butter_error_set(err, g, "get failed");
  if (out != BUTTER_OK) return butter_error_set(err, out, why.c_str());
  return BUTTER_OK;
}

butter_status list(const butter_plugin* p, butter_storage_object_fn fn, void* user) {
  PcgStorage* s = self(p);
  if (!s || !fn) return BUTTER_E_INVALID;
  return s->guarded("storage.list", [&] {
    for (const auto& info : s->engine().list()) fill(info, fn, user);  // list() is in id order
  });
}

butter_status lookup(const butter_plugin* p, butter_str object_id, butter_storage_object_fn fn, void* user) {
  PcgStorage* s = self(p);
  Hash id{};
  if (!s || !fn || !from_hex(to_sv(object_id), id)) return BUTTER_E_INVALID;
  butter_status out = BUTTER_E_NOT_FOUND;
  const butter_status g = s->guarded("storage.lookup", [&] {
    if (auto info = s->engine().lookup(id)) {
      fill(*info, fn, user);
      out = BUTTER_OK;
    }
  });
  return g != BUTTER_OK ? g : out;
}

// --- butter.storage/2 ----------------------------------------------------------------------------

// The SDK header defines the manifest format; pcg's codec (blocks.hpp) writes it. If the two drift
// apart, this file stops compiling rather than a verifier rejecting every proof.
static_assert(kMinBlockSize == BUTTER_STORAGE_MIN_BLOCK_SIZE && kMaxBlockSize == BUTTER_STORAGE_MAX_BLOCK_SIZE &&
              kMaxBlocks == BUTTER_STORAGE_MAX_BLOCKS && kMaxKeywords == BUTTER_STORAGE_MAX_KEYWORDS &&
              kMaxKeywordLen == BUTTER_STORAGE_MAX_KEYWORD_LEN);
static_assert(BUTTER_STORAGE_MAX_READ >= kMaxBlockSize, "one read must cover any single block");

butter_status manifest(const butter_plugin* p, butter_str object_id, butter_storage_manifest_fn fn, void* user) {
  PcgStorage* s = self(p);
  Hash id{};
  if (!s || !fn || !from_hex(to_sv(object_id), id)) return BUTTER_E_INVALID;
  butter_status out = BUTTER_E_NOT_FOUND;
  const butter_status g = s->guarded("storage.manifest", [&] {
    // Only a whole copy counts: a recruit still fetching blocks has the manifest but cannot serve reads.
    const auto* m = s->engine().holds(id) ? s->engine().manifest_of(id) : nullptr;
    if (!m) return;
    fn(user, butter_bytes{m->data(), m->size()});
    out = BUTTER_OK;
  });
  return g != BUTTER_OK ? g : out;
}

butter_status read(const butter_plugin* p, butter_str object_id, uint64_t offset, uint64_t length,
                   butter_storage_read_fn fn, void* user, butter_error* err) {
  PcgStorage* s = self(p);
  Hash id{};
  if (!s || !fn) return butter_error_set(err, BUTTER_E_INVALID, "read: no callback");
  if (!from_hex(to_sv(object_id), id))
    return butter_error_set(err, BUTTER_E_INVALID, "read: an object id is 64 hex digits");
  if (length > BUTTER_STORAGE_MAX_READ)
    return butter_error_set(err, BUTTER_E_INVALID, "read: at most BUTTER_STORAGE_MAX_READ (4 MiB) bytes per call");
  butter_status out = BUTTER_E_NOT_FOUND;
  std::string why;
  const butter_status g = s->guarded("storage.read", [&] {
    if (!s->engine().holds(id)) return;
    const auto info = s->engine().lookup(id);
    const auto* blocks = s->engine().blocks_of(id);
    if (!info || !blocks) return;
    if (offset > info->size) {
      why = "read: offset " + std::to_string(offset) + " is past the object's end (" + std::to_string(info->size) +
            " bytes)";
      out = BUTTER_E_INVALID;
      return;
    }
    const std::uint64_t end = offset + std::min<std::uint64_t>(length, info->size - offset);
    // Blocks are the manifest's fixed-size pieces (the last may be short): walk those the range
    // touches and hand out the overlapping part of each, without copying.
    std::uint64_t block_start = 0;
    for (const auto& b : *blocks) {
      if (offset >= end) break;
      const std::uint64_t block_end = block_start + b.size();
      if (offset < block_end) {
        const std::uint64_t from = offset - block_start;
        const std::uint64_t to = std::min(end, block_end) - block_start;
        fn(user, offset, butter_bytes{b.data() + from, static_cast<std::size_t>(to - from)});
        offset = block_start + to;
      }
      block_start = block_end;
    }
    if (offset < end) {  // blocks shorter than the size says: an engine bug, never silent truncation
      why = "read: the held blocks are shorter than the object";
      out = BUTTER_E_INTERNAL;
      return;
    }
    out = BUTTER_OK;
  });
  if (g != BUTTER_OK) return butter_error_set(err, g, "read failed");
  if (out == BUTTER_E_NOT_FOUND) return butter_error_set(err, out, "read: the object is not held whole on this node");
  if (out != BUTTER_OK) return butter_error_set(err, out, why.c_str());
  return BUTTER_OK;
}

// --- butter.storage/3: streamed reads and puts over PcgStorage's C++ API (stream_api.cpp) -----

butter_status open_read(const butter_plugin* p, butter_str object_id, uint64_t offset, uint64_t length, uint32_t window,
                        uint32_t initial_credit, const butter_storage_read_handlers* handlers, uint64_t* read_id_out,
                        butter_error* err) {
  PcgStorage* s = self(p);
  if (!s || !read_id_out || !handlers || handlers->struct_size < sizeof(butter_storage_read_handlers) ||
      !handlers->chunk || !handlers->done)
    return butter_error_set(err, BUTTER_E_INVALID, "open_read: handlers (chunk and done) and read_id_out are required");
  if (window > BUTTER_STORAGE_MAX_STREAM_WINDOW)
    return butter_error_set(err, BUTTER_E_INVALID,
                            "open_read: window over BUTTER_STORAGE_MAX_STREAM_WINDOW (64) blocks");
  butter_status out = BUTTER_E_INTERNAL;
  std::string why;
  const butter_status g = s->guarded("storage.open_read", [&] {
    const butter_storage_read_handlers h = *handlers;  // copied: the caller's struct may go
    PcgStorage::ReadHandlers rh;
    std::uint64_t id = 0;
    // The read id is only known once opened: the handlers look it up through a shared slot.
    auto slot = std::make_shared<std::uint64_t>(0);
    rh.chunk = [h, slot](std::uint64_t off, std::span<const std::uint8_t> bytes) {
      h.chunk(h.user, *slot, off, butter_bytes{bytes.data(), bytes.size()});
    };
    rh.done = [h, slot](butter_status st, std::uint64_t next, const std::string& reason) {
      h.done(h.user, *slot, st, next, butter_str{reason.data(), reason.size()});
    };
    out = s->open_read(to_sv(object_id), offset, length, window, initial_credit, std::move(rh), id, why);
    if (out == BUTTER_OK) {
      *slot = id;
      *read_id_out = id;
    }
  });
  if (g != BUTTER_OK) return butter_error_set(err, g, "open_read failed");
  if (out != BUTTER_OK) return butter_error_set(err, out, why.c_str());
  return BUTTER_OK;
}

butter_status read_credit(const butter_plugin* p, uint64_t read_id, uint32_t chunks) {
  PcgStorage* s = self(p);
  if (!s) return BUTTER_E_INVALID;
  butter_status out = BUTTER_E_INTERNAL;
  const butter_status g = s->guarded("storage.read_credit", [&] { out = s->read_credit(read_id, chunks); });
  return g != BUTTER_OK ? g : out;
}

butter_status read_cancel(const butter_plugin* p, uint64_t read_id) {
  PcgStorage* s = self(p);
  if (!s) return BUTTER_E_INVALID;
  butter_status out = BUTTER_E_INTERNAL;
  const butter_status g = s->guarded("storage.read_cancel", [&] { out = s->read_cancel(read_id); });
  return g != BUTTER_OK ? g : out;
}

butter_status put_begin(const butter_plugin* p, const butter_str* keywords, uint32_t keyword_count,
                        uint64_t expected_size, uint64_t* put_id_out, butter_error* err) {
  PcgStorage* s = self(p);
  if (!s || !put_id_out || (keyword_count && !keywords))
    return butter_error_set(err, BUTTER_E_INVALID, "put_begin: bad arguments (keywords or put_id_out)");
  butter_status out = BUTTER_E_INTERNAL;
  std::string why;
  const butter_status g = s->guarded("storage.put_begin", [&] {
    std::vector<std::string> kws;
    for (uint32_t i = 0; i < keyword_count && i <= kMaxKeywords; ++i) kws.emplace_back(to_sv(keywords[i]));
    if (keyword_count > kMaxKeywords) kws.resize(kMaxKeywords + 1);  // refused below with the reason
    std::optional<std::uint64_t> expected;
    if (expected_size != BUTTER_STORAGE_SIZE_UNKNOWN) expected = expected_size;
    out = s->put_begin(std::move(kws), expected, *put_id_out, why);
  });
  if (g != BUTTER_OK) return butter_error_set(err, g, "put_begin failed");
  if (out != BUTTER_OK) return butter_error_set(err, out, why.c_str());
  return BUTTER_OK;
}

butter_status put_write(const butter_plugin* p, uint64_t put_id, butter_bytes data, butter_error* err) {
  PcgStorage* s = self(p);
  if (!s || (data.len && !data.data)) return butter_error_set(err, BUTTER_E_INVALID, "put_write: bad arguments");
  butter_status out = BUTTER_E_INTERNAL;
  std::string why;
  const butter_status g = s->guarded("storage.put_write", [&] {
    out = s->put_write(put_id, std::span<const std::uint8_t>(data.data, data.len), why);
  });
  if (g != BUTTER_OK) return butter_error_set(err, g, "put_write failed");
  if (out != BUTTER_OK) return butter_error_set(err, out, why.c_str());
  return BUTTER_OK;
}

butter_status put_commit(const butter_plugin* p, uint64_t put_id, const butter_storage_put_handlers* handlers,
                         char object_id_out[65], butter_error* err) {
  PcgStorage* s = self(p);
  if (!s || !object_id_out || !handlers || handlers->struct_size < sizeof(butter_storage_put_handlers) ||
      !handlers->done)
    return butter_error_set(err, BUTTER_E_INVALID, "put_commit: handlers (done) and object_id_out are required");
  butter_status out = BUTTER_E_INTERNAL;
  std::string why;
  const butter_status g = s->guarded("storage.put_commit", [&] {
    const butter_storage_put_handlers h = *handlers;
    std::string id;
    out = s->put_commit(
        put_id,
        [h, put_id](butter_status st, const std::string& oid, std::uint32_t replicas, const std::string& reason) {
          h.done(h.user, put_id, st, butter_str{oid.data(), oid.size()}, replicas,
                 butter_str{reason.data(), reason.size()});
        },
        id, why);
    if (out == BUTTER_OK) {
      std::memcpy(object_id_out, id.data(), 64);
      object_id_out[64] = '\0';
    }
  });
  if (g != BUTTER_OK) return butter_error_set(err, g, "put_commit failed");
  if (out != BUTTER_OK) return butter_error_set(err, out, why.c_str());
  return BUTTER_OK;
}

butter_status put_abort(const butter_plugin* p, uint64_t put_id) {
  PcgStorage* s = self(p);
  if (!s) return BUTTER_E_INVALID;
  butter_status out = BUTTER_E_INTERNAL;
  const butter_status g = s->guarded("storage.put_abort", [&] { out = s->put_abort(put_id); });
  return g != BUTTER_OK ? g : out;
}

uint64_t free_bytes(const butter_plugin* p) {
  PcgStorage* s = self(p);
  return s ? s->engine().budget().free() : 0;
}

uint64_t used_bytes(const butter_plugin* p) {
  PcgStorage* s = self(p);
  return s ? s->engine().budget().used() : 0;
}

constexpr butter_storage_v1 kStorage = {&put, &get, &list, &lookup};
constexpr butter_storage_v2 kStorage2 = {&put, &get, &list, &lookup, &manifest, &read};
constexpr butter_storage_v3 kStorage3 = {&put,       &get,        &list,        &lookup,      &manifest,
                                         &read,      &open_read,  &read_credit, &read_cancel, &put_begin,
                                         &put_write, &put_commit, &put_abort};
constexpr butter_storage_quota_v1 kQuota = {&free_bytes, &used_bytes};

}  // namespace

const butter_storage_v1* storage_vtable() { return &kStorage; }
const butter_storage_v2* storage_v2_vtable() { return &kStorage2; }
const butter_storage_v3* storage_v3_vtable() { return &kStorage3; }
const butter_storage_quota_v1* quota_vtable() { return &kQuota; }

}  // namespace butter::pcg
