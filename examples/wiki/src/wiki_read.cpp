// wiki_read: reading a page. The latest version of page P is named by the authentic head of
// highest sequence among those this node can find: heads it already checked, heads held in its
// local store, and heads found through butter.search/1 under the keyword "wikihead:P". Each head
// object is fetched through butter.storage/1 (verified by hash) and checked once (signature and
// page id); the version it names is then fetched, must be signed by its author (see records.hpp)
// and must belong to the same page and author. A version read by id is shown only when signed.
//
// GET /wiki/api/page/<page id>            the latest version; answered from what this node knows
//                                          when it knows the page, refreshed in the background
// GET /wiki/api/page/<page id>?fresh=1    waits for the search before answering
// GET /wiki/api/version/<version id>      one version (older ones: follow "predecessor"); 422 with
//                                          the reason when it is not an authentic wiki version
#include "wiki.hpp"

#include <algorithm>

namespace wiki {

namespace {
constexpr std::uint32_t kMaxHeadHits = 32;
}  // namespace

struct Wiki::Resolve {
  std::string page_id;
  std::optional<butter::HttpResponse> res;  // none for a background refresh
  int outstanding = 0;
  bool search_done = false;
  bool finished = false;
  std::set<std::string> fetching;
};

void Wiki::get_page(const butter::HttpRequest& req, butter::HttpResponse& res) {
  const std::string_view id = req.path().substr(std::string_view("/wiki/api/page/").size());
  if (!butter::wire::is_lower_hex(id, 32))
    return refuse(res, 400, "a page id is 32 lowercase hex digits", refused_total_);
  auto r = std::make_shared<Resolve>();
  r->page_id = std::string(id);
  const bool fresh = req.query_param("fresh").value_or("0") == "1";
  auto known = heads_.find(r->page_id);
  if (!fresh && known != heads_.end()) {
    if (const Version* v = cached_version(known->second.version_id)) {
      reads_total_.add();
      res.header("Cache-Control", "no-store")
          .json(dump_json(version_json(known->second.version_id, *v, &known->second)));
      resolve_head(r);  // refresh in the background for the next read
      return;
    }
  }
  r->res.emplace(std::move(res));
  resolve_head(r);
}

void Wiki::resolve_head(std::shared_ptr<Resolve> r) {
  // Heads held here (the search provider may not index them yet).
  const auto held = storage().list();
  const std::string hk = head_keyword(r->page_id);
  for (const auto& o : held.objects)
    if (!head_objects_.count(o.object_id) && std::find(o.keywords.begin(), o.keywords.end(), hk) != o.keywords.end())
      fetch_head(r, o.object_id);
  butter::Query q = butter::Query::keywords({hk});
  q.max_results = kMaxHeadHits;
  q.timeout_ms = search_timeout_ms_;
  q.ttl = search_ttl_;
  search().find(
      q,
      [this, r](const butter::Hit& hit) {
        if (!head_objects_.count(hit.object_id)) fetch_head(r, hit.object_id);
      },
      [this, r](const butter::SearchDone& done) {
        if (!done.ok()) log().debug("head search for {}: {}", r->page_id, done.status.message());
        r->search_done = true;
        finish_resolve(r);
      });
}

void Wiki::fetch_head(const std::shared_ptr<Resolve>& r, const std::string& object_id) {
  if (!butter::wire::is_lower_hex(object_id, 64) || !r->fetching.insert(object_id).second ||
      r->fetching.size() > 4 * kMaxHeadHits)
    return;
  ++r->outstanding;
  storage().get(
      object_id,
      [this, r, object_id](const butter::GetResult& got) {
        --r->outstanding;
        if (got.ok()) {
          check_head_object(object_id, got.data);
        } else {
          log().debug("head object {}: {}", object_id, got.status.message());
        }
        finish_resolve(r);
      },
      kFetchDeadline);
}

void Wiki::finish_resolve(const std::shared_ptr<Resolve>& r) {
  if (r->finished || !r->search_done || r->outstanding > 0) return;
  r->finished = true;
  if (!r->res) return;  // a background refresh: heads_ is up to date now
  auto known = heads_.find(r->page_id);
  if (known == heads_.end()) {
    refuse(*r->res, 404, "no such page, or no reachable node holds it", refused_total_);
    return;
  }
  const Head head = known->second;
  if (const Version* v = cached_version(head.version_id)) {
    reads_total_.add();
    r->res->header("Cache-Control", "no-store").json(dump_json(version_json(head.version_id, *v, &head)));
    return;
  }
  storage().get(
      head.version_id,
      [this, r, head](const butter::GetResult& got) {
        if (!got.ok()) {
          r->res->status(got.status.code() == BUTTER_E_NOT_FOUND ? 404 : 504)
              .text("the latest version " + head.version_id + " cannot be read: " + got.status.message() + "\n");
          return;
        }
        std::string why;
        auto v = check_version_object(head.version_id, got.data, &why);
        if (v && (v->page_id != head.page_id || v->author != head.author)) {
          v.reset();
          malformed_total_.add();
          why = "it belongs to another page or author";
        }
        if (!v) {
          r->res->status(502).text("the latest version is not a valid version of this page: " + why + "\n");
          return;
        }
        remember_version(head.version_id, *v);
        reads_total_.add();
        r->res->header("Cache-Control", "no-store").json(dump_json(version_json(head.version_id, *v, &head)));
      },
      kFetchDeadline);
}

void Wiki::get_version(const butter::HttpRequest& req, butter::HttpResponse& res) {
  const std::string id(req.path().substr(std::string_view("/wiki/api/version/").size()));
  if (!butter::wire::is_lower_hex(id, 64))
    return refuse(res, 400, "a version id is 64 lowercase hex digits", refused_total_);
  auto head_of = [this](const Version& v) -> const Head* {
    auto it = heads_.find(v.page_id);
    return it == heads_.end() ? nullptr : &it->second;
  };
  if (const Version* v = cached_version(id)) {
    res.json(dump_json(version_json(id, *v, head_of(*v))));
    return;
  }
  auto pending = std::make_shared<butter::HttpResponse>(std::move(res));
  storage().get(
      id,
      [this, id, pending, head_of](const butter::GetResult& got) {
        if (!got.ok()) {
          pending->status(got.status.code() == BUTTER_E_NOT_FOUND ? 404 : 504)
              .text("version " + id + " cannot be read: " + got.status.message() + "\n");
          return;
        }
        std::string why;
        auto v = check_version_object(id, got.data, &why);
        if (!v) {
          pending->status(422).text("object " + id + " is not an authentic wiki version: " + why + "\n");
          return;
        }
        remember_version(id, *v);
        pending->json(dump_json(version_json(id, *v, head_of(*v))));
      },
      kFetchDeadline);
}

}  // namespace wiki
