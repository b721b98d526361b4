// butter.storage/1 and butter.storage-quota/1 as static C vtables over the PcgStorage instance.
// Every entry point validates its arguments and guards against exceptions (a C caller cannot
// take one).
#include "pcg_plugin.hpp"

#include <cstring>

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

uint64_t free_bytes(const butter_plugin* p) {
  PcgStorage* s = self(p);
  return s ? s->engine().budget().free() : 0;
}

uint64_t used_bytes(const butter_plugin* p) {
  PcgStorage* s = self(p);
  return s ? s->engine().budget().used() : 0;
}

constexpr butter_storage_v1 kStorage = {&put, &get, &list, &lookup};
constexpr butter_storage_quota_v1 kQuota = {&free_bytes, &used_bytes};

}  // namespace

const butter_storage_v1* storage_vtable() { return &kStorage; }
const butter_storage_quota_v1* quota_vtable() { return &kQuota; }

}  // namespace butter::pcg
