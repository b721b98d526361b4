// wiki_search: GET /wiki/api/search?q=words. The query's words (lowercased, 2 bytes or more, at
// most 6) plus "butter-wiki" are searched as keywords through butter.search/1, and matched
// against what the local store holds. Hits name versions; each carries the keyword
// "wikipage:<page id>", so results are grouped by page. A page is shown only through one of its
// versions that is authentic (signed by the author it names, see records.hpp) and itself carries
// every searched word; its title and author come from that version. A forged version under
// someone's page id, or a genuine one re-stored under other keywords, shows nothing.
#include "wiki.hpp"

#include <algorithm>

namespace wiki {

namespace {
constexpr std::size_t kMaxQueryBytes = 512;
constexpr std::size_t kMaxTerms = 6;
constexpr std::size_t kMaxResults = 20;
constexpr std::size_t kMaxCandidates = 4;  // versions tried per page before it is dropped
constexpr std::size_t kMaxPagesSeen = 256;

std::string page_of(const std::vector<std::string>& keywords) {
  static const std::string prefix = page_keyword("");
  for (const auto& k : keywords)
    if (k.size() == prefix.size() + 32 && k.compare(0, prefix.size(), prefix) == 0 &&
        butter::wire::is_lower_hex(std::string_view(k).substr(prefix.size()), 32))
      return k.substr(prefix.size());
  return {};
}
}  // namespace

struct Wiki::SearchOp {
  std::vector<std::string> terms;
  butter::HttpResponse res;
  std::map<std::string, std::vector<std::string>> pages;              // page id -> version object ids (bounded)
  std::map<std::string, std::pair<std::string, std::string>> titles;  // page id -> (title, author hex)
  std::uint32_t hits = 0, messages = 0;
  std::string search_status = "ok";
  int outstanding = 0;
  bool done = false;
  bool answered = false;
};

void Wiki::add_candidate(SearchOp& op, const std::string& pid, const std::string& object_id) {
  if (!butter::wire::is_lower_hex(object_id, 64)) return;
  auto it = op.pages.find(pid);
  if (it == op.pages.end()) {
    if (op.pages.size() >= kMaxPagesSeen) return;
    it = op.pages.emplace(pid, std::vector<std::string>{}).first;
  }
  auto& c = it->second;
  if (c.size() < kMaxCandidates && std::find(c.begin(), c.end(), object_id) == c.end()) c.push_back(object_id);
}

void Wiki::search_pages(const butter::HttpRequest& req, butter::HttpResponse& res) {
  const auto q = req.query_param("q");
  if (!q || q->empty()) return refuse(res, 400, "give the words to search: ?q=...", refused_total_);
  if (q->size() > kMaxQueryBytes)
    return refuse(res, 413, "query longer than " + std::to_string(kMaxQueryBytes) + " bytes", refused_total_);
  if (!valid_utf8(*q)) return refuse(res, 400, "query is not valid UTF-8", refused_total_);
  auto op = std::make_shared<SearchOp>();
  op->terms = words(*q, kMaxTerms);
  if (op->terms.empty()) return refuse(res, 400, "no word of two letters or more in the query", refused_total_);
  op->res = std::move(res);
  searches_total_.add();

  std::vector<std::string> all = op->terms;
  all.emplace_back(kWikiKeyword);
  // What the local store holds.
  for (const auto& o : storage().list().objects) {
    bool match = true;
    for (const auto& t : all)
      if (std::find(o.keywords.begin(), o.keywords.end(), t) == o.keywords.end()) match = false;
    if (!match) continue;
    if (auto pid = page_of(o.keywords); !pid.empty()) add_candidate(*op, pid, o.object_id);
  }
  butter::Query query = butter::Query::keywords(all);
  query.max_results = 64;
  query.timeout_ms = search_timeout_ms_;
  query.ttl = search_ttl_;
  search().find(
      query,
      [op](const butter::Hit& hit) {
        if (auto pid = page_of(hit.keywords); !pid.empty()) add_candidate(*op, pid, hit.object_id);
      },
      [this, op](const butter::SearchDone& d) {
        op->hits = d.hits;
        op->messages = d.messages;
        if (!d.ok()) op->search_status = d.status.message();
        op->done = true;
        // Each page is shown only through a version that is authentic (signed by the author it
        // names, page id the author's), of that page, and carrying every searched word itself.
        std::size_t n = 0;
        for (const auto& [pid, candidates] : op->pages) {
          if (++n > kMaxResults) break;
          ++op->outstanding;
          check_candidate(op, pid, 0);
        }
        finish_search(op);
      });
}

bool Wiki::search_match(const SearchOp& op, const std::string& pid, const Version& v) const {
  if (v.page_id != pid) return false;
  const auto kws = version_keywords(v);
  for (const auto& t : op.terms)
    if (std::find(kws.begin(), kws.end(), t) == kws.end()) return false;
  return true;
}

void Wiki::check_candidate(const std::shared_ptr<SearchOp>& op, const std::string& pid, std::size_t i) {
  const auto& candidates = op->pages[pid];
  for (; i < candidates.size(); ++i) {
    const std::string& version_id = candidates[i];
    if (const Version* v = cached_version(version_id)) {
      if (!search_match(*op, pid, *v)) continue;
      op->titles[pid] = {v->title, key_hex(v->author)};
      --op->outstanding;
      return;
    }
    storage().get(
        version_id,
        [this, op, pid, i, version_id](const butter::GetResult& got) {
          if (got.ok()) {
            std::string why;
            if (auto v = check_version_object(version_id, got.data, &why); v && search_match(*op, pid, *v)) {
              op->titles[pid] = {v->title, key_hex(v->author)};
              remember_version(version_id, std::move(*v));
              --op->outstanding;
              finish_search(op);
              return;
            }
          }
          check_candidate(op, pid, i + 1);
          finish_search(op);
        },
        kFetchDeadline);
    return;
  }
  --op->outstanding;  // no authentic version of this page matched: not shown
}

void Wiki::finish_search(const std::shared_ptr<SearchOp>& op) {
  if (op->answered || !op->done || op->outstanding > 0) return;
  op->answered = true;
  Json results = Json::array();
  for (const auto& [pid, tv] : op->titles)
    results.push_back(
        Json{{"page", pid}, {"title", tv.first}, {"author", tv.second}, {"mine", tv.second == self_hex_}});
  const Json out{{"query", op->terms},
                 {"results", std::move(results)},
                 {"hits", op->hits},
                 {"messages", op->messages},
                 {"search", op->search_status}};
  op->res.header("Cache-Control", "no-store").json(dump_json(out));
}

}  // namespace wiki
