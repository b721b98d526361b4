// wiki: the plugin class. Pages are versions (immutable objects in butter.storage/1) and signed
// heads (the latest version of a page, also stored as objects, found through butter.search/1).
// The work is split by concern:
//   wiki_plugin.cpp  lifecycle, config, routes, the list of pages this node knows, caches
//   wiki_read.cpp    resolving a page's latest authentic head and its version (GET page)
//   wiki_write.cpp   creating and editing: version put, then a signed head put (POST pages)
//   wiki_search.cpp  keyword search over the network and the local store (GET search)
//   wiki_page.cpp    the web page (GET /wiki), plain HTML and JavaScript
#pragma once

#include "records.hpp"

#include <butter/plugin.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace wiki {

// How long a read or a search waits for one storage fetch before it gives up on that version.
inline constexpr auto kFetchDeadline = std::chrono::seconds(8);

// The JSON answers are built as nlohmann::ordered_json values (keys keep the order they are set in).
using Json = nlohmann::ordered_json;
// The JSON text of an answer. Titles, texts and keywords are checked as UTF-8 when they come in; a
// bad byte that got through all the same (a search status, say) is written as U+FFFD, where a
// plain dump() would throw.
std::string dump_json(const Json& j);

extern const std::string_view kPage;
extern const std::string_view kStyle;   // GET /wiki/wiki.css
extern const std::string_view kScript;  // GET /wiki/wiki.js

class Wiki : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override;
  void start() override;
  void stop() override;

 private:
  // --- caches (wiki_plugin.cpp) ---------------------------------------------------------------
  // The best authentic head known for each page (highest seq); returns true when it improved.
  bool learn_head(const Head& h);
  // Checks a head object's bytes once per object id; the authentic head, or nullopt (counted as
  // forged or malformed the first time).
  std::optional<Head> check_head_object(const std::string& object_id, std::string_view bytes);
  // Decodes a version object and checks it is its author's (signature, page id); the version, or
  // nullopt with `why` (counted as malformed or forged).
  std::optional<Version> check_version_object(const std::string& object_id, std::string_view bytes, std::string* why);
  // Only versions that passed check_version_object (or this node's own) are remembered.
  void remember_version(const std::string& id, Version v);
  const Version* cached_version(const std::string& id) const;
  // Reads the heads this node holds (at start, and when storage says it holds a new object).
  void scan_local_heads();
  void consider_local_object(const std::string& object_id);
  bool verify(const Key& k, std::string_view ctx, std::string_view msg, const Sig& sig) const;

  // --- HTTP (wiki_plugin.cpp) -------------------------------------------------------------------
  void route_all();
  void list_pages(const butter::HttpRequest& req, butter::HttpResponse& res);
  Json head_json(const Head& h) const;
  Json version_json(const std::string& version_id, const Version& v, const Head* head) const;

  // --- read (wiki_read.cpp) ---------------------------------------------------------------------
  struct Resolve;
  void get_page(const butter::HttpRequest& req, butter::HttpResponse& res);
  void get_version(const butter::HttpRequest& req, butter::HttpResponse& res);
  void resolve_head(std::shared_ptr<Resolve> r);
  void fetch_head(const std::shared_ptr<Resolve>& r, const std::string& object_id);
  void finish_resolve(const std::shared_ptr<Resolve>& r);

  // --- write (wiki_write.cpp) -------------------------------------------------------------------
  struct WriteOp {
    butter::HttpResponse res;
    std::string version_id, head_id;
    Head head;
    bool edit = false;
    int pending = 1;
    std::uint32_t replicas = ~0u;
    std::optional<butter::Status> failed;
    bool answered = false;
    butter::Timer timer;
  };
  void post_page(const butter::HttpRequest& req, butter::HttpResponse& res);
  void put_done(const std::shared_ptr<WriteOp>& op, const butter::PutResult& r);
  void answer_write(const std::shared_ptr<WriteOp>& op);

  // --- search (wiki_search.cpp) -----------------------------------------------------------------
  struct SearchOp;
  static void add_candidate(SearchOp& op, const std::string& pid, const std::string& object_id);
  bool search_match(const SearchOp& op, const std::string& pid, const Version& v) const;
  void check_candidate(const std::shared_ptr<SearchOp>& op, const std::string& pid, std::size_t i);
  void search_pages(const butter::HttpRequest& req, butter::HttpResponse& res);
  void finish_search(const std::shared_ptr<SearchOp>& op);

  // --- state --------------------------------------------------------------------------------------
  Key self_{};
  std::string self_hex_;
  std::uint32_t search_timeout_ms_ = 1500;
  std::uint32_t search_ttl_ = 0;
  std::uint32_t write_wait_ms_ = 2000;
  std::size_t max_body_ = 0;

  std::map<std::string, Head> heads_;  // page id -> best authentic head
  struct Verdict {
    bool authentic = false;
  };
  std::map<std::string, Verdict> head_objects_;  // head object id -> checked
  std::deque<std::string> head_objects_order_;
  std::map<std::string, Version> versions_;  // version id -> decoded version (bounded)
  std::deque<std::string> versions_order_;
  std::size_t versions_bytes_ = 0;
  std::set<std::string> scanning_;  // local objects being read

  butter::Subscription stored_sub_;
  butter::Counter created_total_ = metrics().counter("wiki_pages_created_total");
  butter::Counter edits_total_ = metrics().counter("wiki_edits_total");
  butter::Counter reads_total_ = metrics().counter("wiki_reads_total");
  butter::Counter searches_total_ = metrics().counter("wiki_searches_total");
  butter::Counter forged_total_ = metrics().counter("wiki_forged_heads_total");
  butter::Counter forged_versions_total_ = metrics().counter("wiki_forged_versions_total");
  butter::Counter malformed_total_ = metrics().counter("wiki_malformed_total");
  butter::Counter refused_total_ = metrics().counter("wiki_requests_refused_total");
};

// Answers `code` with a plain-text reason and counts a refused request.
void refuse(butter::HttpResponse& res, int code, const std::string& why, const butter::Counter& counter);

}  // namespace wiki
