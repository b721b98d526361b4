// butter.search/1 as a static C vtable over the DbfsPlugin instance. Every entry point validates
// its arguments and guards against exceptions (a C caller cannot take one).
#include "dbfs_plugin.hpp"

namespace butter::dbfs {
namespace {

DbfsPlugin* self(const butter_plugin* p) { return butter::Plugin::from<DbfsPlugin>(p); }

// Fills the caller's error (its struct_size says whether it is big enough).
void set_error(butter_error* err, const std::string& why, butter_status code = BUTTER_E_INVALID) {
  butter_error_set(err, code, why.c_str());
}

butter_status find(const butter_plugin* p, const butter_reply_to* reply, const butter_search_query* query,
                   butter_error* err) {
  DbfsPlugin* d = self(p);
  if (!d || !reply || !query || reply->struct_size < sizeof(butter_reply_to) ||
      query->struct_size < sizeof(butter_search_query) || !reply->topic.data || reply->topic.len == 0) {
    set_error(err, "bad arguments");
    return BUTTER_E_INVALID;
  }
  if (query->kind != BUTTER_SEARCH_BY_OBJECT && query->kind != BUTTER_SEARCH_BY_KEYWORDS) {
    set_error(err, "unknown query kind");
    return BUTTER_E_INVALID;
  }
  if (query->term_count == 0 || !query->terms || query->term_count > kMaxTerms) {
    set_error(err, "a query has 1 to " + std::to_string(kMaxTerms) + " terms");
    return BUTTER_E_INVALID;
  }
  butter_status out = BUTTER_E_INTERNAL;
  std::string why;
  butter_status st = d->guarded("search.find", [&] {
    SearchSpec spec;
    spec.kind = query->kind == BUTTER_SEARCH_BY_OBJECT ? QueryKind::Object : QueryKind::Keywords;
    for (std::uint32_t i = 0; i < query->term_count; ++i) spec.terms.push_back(copy_str(query->terms[i]));
    spec.max_results = query->max_results;
    spec.ttl = query->ttl;
    spec.timeout_ms = query->timeout_ms;
    out = d->find(copy_str(reply->topic), reply->ticket, spec, why);
  });
  if (st != BUTTER_OK) return st;
  if (out != BUTTER_OK) set_error(err, why, out);
  return out;
}

butter_status annotate(const butter_plugin* p, butter_str object_id, const butter_str* keywords, uint32_t count,
                       butter_error* err) {
  DbfsPlugin* d = self(p);
  if (!d || (count && !keywords) || !object_id.data || object_id.len == 0) {
    set_error(err, "bad arguments");
    return BUTTER_E_INVALID;
  }
  butter_status out = BUTTER_E_INTERNAL;
  butter_status st = d->guarded("search.annotate", [&] {
    std::vector<std::string> kws;
    for (std::uint32_t i = 0; i < count && i < kMaxKeywords; ++i) kws.push_back(copy_str(keywords[i]));
    out = d->annotate(copy_str(object_id), kws);
  });
  if (st != BUTTER_OK) return st;
  if (out != BUTTER_OK) set_error(err, out == BUTTER_E_NOMEM ? "the index is full" : "bad object id", out);
  return out;
}

const butter_search_v1 kSearch = {find, annotate};

}  // namespace

const butter_search_v1* search_vtable() { return &kSearch; }

}  // namespace butter::dbfs
