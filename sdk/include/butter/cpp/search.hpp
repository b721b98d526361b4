// butter/cpp/search.hpp — the consumer side of "butter.search/1" (butter/iface/search.h): which
// objects match keywords, which nodes hold an object.
//
//   search().find(butter::Query::keywords({"wiki", "butter"}),
//                 [this](const butter::Hit& h) { log().info("{} on {}", h.object_id, h.node_id); },
//                 [this](const butter::SearchDone& d) { log().info("{} hits, {} messages", d.hits, d.messages); });
//
// Hits stream in as they arrive; then `on_done` is called exactly once, later (never inside
// find), on the node's executor: with the provider's DONE, or with the reason the search could
// not run — BUTTER_E_NOT_FOUND (no search provider), BUTTER_E_UNAVAILABLE (stopped or swapping),
// the provider's refusal (BUTTER_E_INVALID), or BUTTER_E_TIMEOUT when no DONE came before the
// deadline (the query's timeout_ms plus a grace, or `deadline` when given). No hit comes after
// on_done. [node]
#pragma once

#include <butter/cpp/reply_client.hpp>
#include <butter/cpp/services.hpp>
#include <butter/iface/search.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace butter {

struct Query {
  enum Kind : std::int32_t { ByObject = BUTTER_SEARCH_BY_OBJECT, ByKeywords = BUTTER_SEARCH_BY_KEYWORDS };
  Kind kind = ByKeywords;
  std::vector<std::string> terms;
  std::uint32_t max_results = 0;  // 0 = provider default
  std::uint32_t ttl = 0;          // hops; 0 = provider default
  std::uint32_t timeout_ms = 0;   // 0 = provider default

  static Query keywords(std::vector<std::string> terms) {
    Query q;
    q.kind = ByKeywords;
    q.terms = std::move(terms);
    return q;
  }
  static Query object(std::string object_id) {
    Query q;
    q.kind = ByObject;
    q.terms.push_back(std::move(object_id));
    return q;
  }
};

struct Hit {
  std::string object_id;
  std::string node_id;  // a node that holds it
  std::vector<std::string> endpoints;
  std::vector<std::string> keywords;
  std::uint8_t hops = 0;
};

struct SearchDone {
  Status status;
  std::uint32_t hits = 0;      // as counted by the provider (or by the wrapper on a timeout)
  std::uint32_t messages = 0;  // query messages the search cost, as far as the source knows
  bool ok() const noexcept { return status.ok(); }
};

using HitHandler = std::function<void(const Hit&)>;
using DoneHandler = std::function<void(const SearchDone&)>;

class Search {
 public:
  // Added to a query's timeout_ms for the wrapper's deadline; and the deadline when the query
  // leaves the timeout to the provider.
  static constexpr std::chrono::milliseconds grace{5000};
  static constexpr std::chrono::milliseconds default_deadline{30000};

  explicit Search(detail::Core* core) noexcept : core_(core) {}

  bool available() const { return static_cast<bool>(acquire()); }

  // Starts a search. `deadline` 0 = the query's timeout_ms + grace (or default_deadline).
  void find(const Query& query, HitHandler on_hit, DoneHandler on_done,
            std::chrono::milliseconds deadline = std::chrono::milliseconds(0)) {
    if (deadline.count() <= 0)
      deadline = query.timeout_ms ? std::chrono::milliseconds(query.timeout_ms) + grace : default_deadline;
    auto& client = detail::ReplyClient::of(*core_);
    struct State {
      HitHandler on_hit;
      DoneHandler on_done;
      std::uint32_t hits = 0;
    };
    auto st = std::make_shared<State>(State{std::move(on_hit), std::move(on_done), 0});
    const std::uint64_t ticket = client.add(
        deadline,
        [st](const detail::ReplyHead& h, wire::Reader& r) {
          if (h.kind == BUTTER_SEARCH_RESULT_HIT) {
            Hit hit;
            hit.object_id = detail::read_str(r);
            hit.node_id = detail::read_str(r);
            const std::uint16_t ne = r.u16();
            for (std::uint16_t i = 0; i < ne && r.ok(); ++i) hit.endpoints.push_back(detail::read_str(r));
            const std::uint16_t nk = r.u16();
            for (std::uint16_t i = 0; i < nk && r.ok(); ++i) hit.keywords.push_back(detail::read_str(r));
            hit.hops = r.u8();
            if (!r.ok()) return false;  // a malformed hit is dropped; the search goes on
            ++st->hits;
            if (st->on_hit) st->on_hit(hit);
            return false;
          }
          if (h.kind != BUTTER_SEARCH_RESULT_DONE) return false;
          SearchDone done;
          done.hits = r.u32();
          done.messages = r.u32();
          std::string message = detail::read_str(r);
          if (!r.ok()) {
            done.status = Status(BUTTER_E_INTERNAL, "malformed DONE result");
            done.hits = st->hits;
            done.messages = 0;
          } else {
            done.status = Status(h.status, std::move(message));
          }
          if (st->on_done) st->on_done(done);
          return true;
        },
        [st](Status why) {
          SearchDone done;
          done.status = std::move(why);
          done.hits = st->hits;
          if (st->on_done) st->on_done(done);
        },
        BUTTER_IFACE_SEARCH " find");
    auto svc = acquire();
    if (!svc) {
      client.fail_soon(ticket, svc.status());
      return;
    }
    std::vector<butter_str> terms;
    terms.reserve(query.terms.size());
    for (const auto& t : query.terms) terms.push_back(to_c(t));
    butter_search_query q{};
    q.struct_size = sizeof q;
    q.kind = query.kind;
    q.term_count = static_cast<std::uint32_t>(terms.size());
    q.terms = terms.empty() ? nullptr : terms.data();
    q.max_results = query.max_results;
    q.ttl = query.ttl;
    q.timeout_ms = query.timeout_ms;
    const butter_reply_to reply = detail::reply_to(client, ticket);
    butter_error err;
    butter_error_init(&err);
    const butter_status s = svc->find(svc.provider(), &reply, &q, &err);
    if (s != BUTTER_OK) client.fail_soon(ticket, Status::from(s, err));
  }

  // Attaches keywords to an object this node holds or knows of (synchronous).
  Status annotate(std::string_view object_id, const std::vector<std::string>& keywords) {
    auto svc = acquire();
    if (!svc) return svc.status();
    std::vector<butter_str> kws;
    kws.reserve(keywords.size());
    for (const auto& k : keywords) kws.push_back(to_c(k));
    butter_error err;
    butter_error_init(&err);
    const butter_status s = svc->annotate(svc.provider(), to_c(object_id), kws.empty() ? nullptr : kws.data(),
                                          static_cast<std::uint32_t>(kws.size()), &err);
    return Status::from(s, err);
  }

 private:
  Service<butter_search_v1> acquire() const { return Services(core_).acquire<butter_search_v1>(BUTTER_IFACE_SEARCH); }
  detail::Core* core_;
};

}  // namespace butter
