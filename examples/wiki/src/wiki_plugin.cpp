// wiki_plugin: the wiki's lifecycle, config, HTTP routes, the pages this node knows and the
// bounded caches of checked heads and versions.
#include "wiki.hpp"

#include <algorithm>

namespace wiki {

namespace {
constexpr std::size_t kMaxHeadObjects = 8192;  // head objects whose verdict is remembered
constexpr std::size_t kMaxCachedVersions = 256;
constexpr std::size_t kMaxCachedVersionBytes = 16u << 20;
constexpr std::size_t kMaxPages = 100000;
}  // namespace

void refuse(butter::HttpResponse& res, int code, const std::string& why, const butter::Counter& counter) {
  counter.add();
  res.status(code).text(why + "\n");
}

void Wiki::init() {
  // Defaults and ranges: the schema at the bottom; the checks guard the casts on a host that
  // enforces no ranges (older than ABI 1.3).
  search_timeout_ms_ = static_cast<std::uint32_t>(config().get_int("search_timeout_ms"));
  search_ttl_ = static_cast<std::uint32_t>(config().get_int("search_ttl"));
  write_wait_ms_ = static_cast<std::uint32_t>(config().get_int("write_wait_ms"));
  // A form-encoded page may triple in size (%XX); the text itself is checked after decoding.
  max_body_ = 3 * kMaxText + 16 * 1024;

  if (!identity().available())
    throw butter::Error(BUTTER_E_UNSUPPORTED, "the wiki needs butter.identity/1 to sign pages");
  self_ = identity().public_key();
  self_hex_ = key_hex(self_);

  metrics().describe("wiki_pages_created_total", "Pages created on this node");
  metrics().describe("wiki_edits_total", "New versions of existing pages written on this node");
  metrics().describe("wiki_reads_total", "Page reads answered");
  metrics().describe("wiki_searches_total", "Searches run");
  metrics().describe("wiki_forged_heads_total", "Head records refused: bad signature or page id not the author's");
  metrics().describe("wiki_forged_versions_total",
                     "Version records refused: unsigned, bad signature, or page id not the author's");
  metrics().describe("wiki_malformed_total", "Objects found under wiki keywords that do not decode");
  metrics().describe("wiki_requests_refused_total", "HTTP requests refused (malformed, oversized, unknown)");

  if (http().available()) route_all();
}

void Wiki::start() {
  stored_sub_ = events().subscribe(BUTTER_STORAGE_TOPIC_STORED, [this](std::string_view, butter::Bytes id) {
    consider_local_object(std::string(id.text()));
  });
  scan_local_heads();
  if (http().available()) log().info("open {}/wiki in a browser", http().base_url());
}

void Wiki::stop() { stored_sub_.unsubscribe(); }

bool Wiki::verify(const Key& k, std::string_view ctx, std::string_view msg, const Sig& sig) const {
  butter::PublicKey pk;
  butter::Signature s;
  std::copy(k.begin(), k.end(), pk.begin());
  std::copy(sig.begin(), sig.end(), s.begin());
  return identity().verify(pk, ctx, msg, s);
}

bool Wiki::learn_head(const Head& h) {
  auto it = heads_.find(h.page_id);
  if (it != heads_.end()) {
    if (h.seq <= it->second.seq) return false;
    it->second = h;
    return true;
  }
  if (heads_.size() >= kMaxPages) return false;
  heads_.emplace(h.page_id, h);
  return true;
}

std::optional<Head> Wiki::check_head_object(const std::string& object_id, std::string_view bytes) {
  std::string why;
  auto h = decode_head(bytes, &why);
  bool authentic = false;
  if (!h) {
    why = "malformed head: " + why;
  } else {
    authentic = head_is_authentic(
        *h, [this](const Key& k, std::string_view c, std::string_view m, const Sig& s) { return verify(k, c, m, s); },
        &why);
  }
  const bool first_time = head_objects_.find(object_id) == head_objects_.end();
  if (first_time) {
    head_objects_[object_id] = Verdict{authentic};
    head_objects_order_.push_back(object_id);
    while (head_objects_order_.size() > kMaxHeadObjects) {
      head_objects_.erase(head_objects_order_.front());
      head_objects_order_.pop_front();
    }
    if (!h) {
      malformed_total_.add();
    } else if (!authentic) {
      forged_total_.add();
    }
    if (!authentic) log().warn("refused head object {}: {}", object_id, why);
  }
  if (!authentic) return std::nullopt;
  learn_head(*h);
  return h;
}

std::optional<Version> Wiki::check_version_object(const std::string& object_id, std::string_view bytes,
                                                  std::string* why) {
  std::string reason;
  auto v = decode_version(bytes, &reason);
  if (!v) {
    // An unsigned legacy version decodes no further: it is refused as unauthenticated, not as junk.
    if (bytes.substr(0, kLegacyVersionMagic.size()) == kLegacyVersionMagic) {
      forged_versions_total_.add();
    } else {
      malformed_total_.add();
    }
  } else if (!version_is_authentic(
                 *v,
                 [this](const Key& k, std::string_view c, std::string_view m, const Sig& s) {
                   return verify(k, c, m, s);
                 },
                 &reason)) {
    forged_versions_total_.add();
    log().warn("refused version object {} naming author {}: {}", object_id, key_hex(v->author), reason);
    v.reset();
  }
  if (!v && why) *why = reason;
  return v;
}

void Wiki::remember_version(const std::string& id, Version v) {
  if (versions_.count(id)) return;
  versions_bytes_ += v.text.size() + v.title.size();
  versions_.emplace(id, std::move(v));
  versions_order_.push_back(id);
  while (versions_order_.size() > kMaxCachedVersions || versions_bytes_ > kMaxCachedVersionBytes) {
    auto it = versions_.find(versions_order_.front());
    if (it != versions_.end()) {
      versions_bytes_ -= it->second.text.size() + it->second.title.size();
      versions_.erase(it);
    }
    versions_order_.pop_front();
  }
}

const Version* Wiki::cached_version(const std::string& id) const {
  auto it = versions_.find(id);
  return it == versions_.end() ? nullptr : &it->second;
}

void Wiki::scan_local_heads() {
  const auto held = storage().list();
  if (!held.ok()) {
    log().debug("no local objects to scan: {}", held.status.message());
    return;
  }
  for (const auto& o : held.objects)
    if (std::find(o.keywords.begin(), o.keywords.end(), kHeadKeyword) != o.keywords.end())
      consider_local_object(o.object_id);
}

void Wiki::consider_local_object(const std::string& object_id) {
  if (head_objects_.count(object_id) || scanning_.count(object_id)) return;
  auto o = storage().lookup(object_id);
  if (!o || std::find(o->keywords.begin(), o->keywords.end(), kHeadKeyword) == o->keywords.end()) return;
  if (o->size_bytes > 4096) return;  // a head is a few hundred bytes
  scanning_.insert(object_id);
  storage().get(object_id, [this, object_id](const butter::GetResult& r) {
    scanning_.erase(object_id);
    if (r.ok()) check_head_object(object_id, r.data);
  });
}

// --- HTTP ------------------------------------------------------------------------------------------
void Wiki::route_all() {
  http().get("/wiki", [](const butter::HttpRequest&, butter::HttpResponse& res) {
    res.header("Cache-Control", "no-cache").html(kPage);
  });
  http().get("/wiki/wiki.css", [](const butter::HttpRequest&, butter::HttpResponse& res) {
    res.header("Cache-Control", "no-cache").send("text/css; charset=utf-8", kStyle);
  });
  http().get("/wiki/wiki.js", [](const butter::HttpRequest&, butter::HttpResponse& res) {
    res.header("Cache-Control", "no-cache").send("text/javascript; charset=utf-8", kScript);
  });
  http().get("/wiki/api/pages",
             [this](const butter::HttpRequest& req, butter::HttpResponse& res) { list_pages(req, res); });
  http().post("/wiki/api/pages",
              [this](const butter::HttpRequest& req, butter::HttpResponse& res) { post_page(req, res); });
  http().get("/wiki/api/search",
             [this](const butter::HttpRequest& req, butter::HttpResponse& res) { search_pages(req, res); });
  http().get(
      "/wiki/api/page/", [this](const butter::HttpRequest& req, butter::HttpResponse& res) { get_page(req, res); },
      butter::Match::Prefix);
  http().get(
      "/wiki/api/version/",
      [this](const butter::HttpRequest& req, butter::HttpResponse& res) { get_version(req, res); },
      butter::Match::Prefix);
}

std::string dump_json(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json Wiki::head_json(const Head& h) const {
  return {{"page", h.page_id},        {"title", h.title}, {"author", key_hex(h.author)},
          {"version", h.version_id},  {"seq", h.seq},     {"updated", h.created_unix_ms},
          {"mine", h.author == self_}};
}

Json Wiki::version_json(const std::string& version_id, const Version& v, const Head* head) const {
  return {{"page", v.page_id},
          {"title", v.title},
          {"text", v.text},
          {"keywords", v.keywords},
          {"author", key_hex(v.author)},
          {"version", version_id},
          {"seq", v.seq},
          {"predecessor", v.predecessor},
          {"created", v.created_unix_ms},
          {"mine", v.author == self_},
          {"latest", head && head->version_id == version_id}};
}

void Wiki::list_pages(const butter::HttpRequest&, butter::HttpResponse& res) {
  std::vector<const Head*> hs;
  hs.reserve(heads_.size());
  for (const auto& [id, h] : heads_) hs.push_back(&h);
  std::sort(hs.begin(), hs.end(), [](const Head* a, const Head* b) { return a->created_unix_ms > b->created_unix_ms; });
  if (hs.size() > 500) hs.resize(500);
  Json pages = Json::array();
  for (const Head* h : hs) pages.push_back(head_json(*h));
  res.header("Cache-Control", "no-store").json(dump_json({{"node", self_hex_}, {"pages", std::move(pages)}}));
}

}  // namespace wiki

BUTTER_PLUGIN(
    wiki::Wiki,
    butter::Descriptor{
        .id = "butter.example.wiki",
        .name = "Wiki",
        .vendor = "Butter",
        .version = "1.0.0",
        .description = "Pages stored through butter.storage/1, found through butter.search/1, latest versions "
                       "signed by their author; web page on /wiki",
        .required = {BUTTER_IFACE_STORAGE},
        .optional = {BUTTER_IFACE_SEARCH},
        .config = {
            butter::config_int("search_timeout_ms", 1500)
                .range(50, 60000)
                .unit("ms")
                .describe("how long a search waits for hits"),
            butter::config_int("search_ttl", 0)
                .range(0, 16)
                .describe("hops a search may travel; 0 = the provider's default"),
            butter::config_int("write_wait_ms", 2000)
                .range(0, 60000)
                .unit("ms")
                .describe("how long a write waits for the storage groups before answering"),
        }});
