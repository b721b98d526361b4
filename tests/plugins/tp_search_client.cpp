// tp-search-client: a dapp-like consumer of butter.search/1 that uses the C interface directly
// (services broker, butter_reply_to, results decoded from the events bus as iface/search.h says),
// so the ir-dbfs tests check the provider exactly as the header specifies. Plugin id
// "test.search-client". HTTP routes:
//   GET  /tp-search/find?object=<id> | ?q=kw1,kw2 [&max=N]  -> {"ticket":N} or 400 with the reason
//   GET  /tp-search/result?ticket=N                          -> {"done":..,"status":..,"hits":[..],..}
//   POST /tp-search/annotate?object=<id>&keywords=kw1,kw2     -> {"status":"BUTTER_OK"}
#include <butter/iface/search.h>
#include <butter/plugin.hpp>
#include <butter/wire.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct Result {
  struct HitRow {
    std::string object, node;
    unsigned hops = 0;
    std::size_t endpoints = 0, keywords = 0;
  };
  std::vector<HitRow> hits;
  bool done = false, malformed = false;
  std::int32_t status = 0;
  std::uint32_t done_hits = 0, messages = 0;
  std::string message;
};

class SearchClient : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override {
    topic_ = "test.search-client/" + std::to_string(std::random_device{}()) + ":reply";
    http().get("/tp-search/find",
               [this](const butter::HttpRequest& req, butter::HttpResponse& res) { find(req, res); });
    http().get("/tp-search/result", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
      const auto t = std::stoull(req.query_param("ticket").value_or("0"));
      auto it = results_.find(t);
      if (it == results_.end()) return void(res.status(404).json("{}"));
      const Result& r = it->second;
      std::string s = "{\"done\":" + std::string(r.done ? "true" : "false") +
                      ",\"malformed\":" + (r.malformed ? "true" : "false") + ",\"status\":" + std::to_string(r.status) +
                      ",\"done_hits\":" + std::to_string(r.done_hits) + ",\"messages\":" + std::to_string(r.messages) +
                      ",\"message\":\"" + r.message + "\",\"hits\":[";
      for (std::size_t i = 0; i < r.hits.size(); ++i) {
        const auto& h = r.hits[i];
        s += (i ? "," : "") + std::string("{\"object\":\"") + h.object + "\",\"node\":\"" + h.node +
             "\",\"hops\":" + std::to_string(h.hops) + ",\"endpoints\":" + std::to_string(h.endpoints) +
             ",\"keywords\":" + std::to_string(h.keywords) + "}";
      }
      res.json(s + "]}");
    });
    http().post("/tp-search/annotate", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
      auto search = services().acquire<butter_search_v1>(BUTTER_IFACE_SEARCH);
      if (!search) return void(res.status(503).json("{\"status\":\"no provider\"}"));
      const std::string obj = req.query_param("object").value_or("");
      const auto kws = split(req.query_param("keywords").value_or(""));
      std::vector<butter_str> c;
      for (const auto& k : kws) c.push_back(butter::to_c(k));
      butter_error err;
      butter_error_init(&err);
      const butter_status st =
          search->annotate(search.provider(), butter::to_c(obj), c.data(), static_cast<std::uint32_t>(c.size()), &err);
      res.status(st == BUTTER_OK ? 200 : 400).json(std::string("{\"status\":\"") + butter::status_name(st) + "\"}");
    });
  }

  void start() override {
    sub_ = events().subscribe(topic_, [this](std::string_view, butter::Bytes payload) { on_result(payload); });
  }

 private:
  void find(const butter::HttpRequest& req, butter::HttpResponse& res) {
    auto search = services().acquire<butter_search_v1>(BUTTER_IFACE_SEARCH);
    if (!search) return void(res.status(503).json("{\"error\":\"no search provider\"}"));
    std::vector<std::string> terms;
    butter_search_query q{};
    q.struct_size = sizeof q;
    if (auto o = req.query_param("object")) {
      q.kind = BUTTER_SEARCH_BY_OBJECT;
      terms = {*o};
    } else {
      q.kind = BUTTER_SEARCH_BY_KEYWORDS;
      terms = split(req.query_param("q").value_or(""));
    }
    std::vector<butter_str> c;
    for (const auto& t : terms) c.push_back(butter::to_c(t));
    q.term_count = static_cast<std::uint32_t>(c.size());
    q.terms = c.data();
    q.max_results = static_cast<std::uint32_t>(std::stoul(req.query_param("max").value_or("0")));
    q.timeout_ms = 5000;
    const std::uint64_t ticket = next_++;
    butter_reply_to to{};
    to.struct_size = sizeof to;
    to.topic = butter::to_c(topic_);
    to.ticket = ticket;
    butter_error err;
    butter_error_init(&err);
    results_[ticket];
    const butter_status st = search->find(search.provider(), &to, &q, &err);
    if (st != BUTTER_OK) {
      results_.erase(ticket);
      return void(res.status(400).json(std::string("{\"error\":\"") + butter::status_name(st) + "\"}"));
    }
    res.json("{\"ticket\":" + std::to_string(ticket) + "}");
  }

  // iface/search.h: u64 ticket, u8 kind, i32 status, then HIT or DONE fields.
  void on_result(butter::Bytes payload) {
    butter::wire::Reader r(payload.data(), payload.size());
    const std::uint64_t ticket = r.u64();
    const std::uint8_t kind = r.u8();
    const auto status = static_cast<std::int32_t>(r.u32());
    auto it = results_.find(ticket);
    if (!r.ok() || it == results_.end()) return;
    Result& res = it->second;
    if (kind == BUTTER_SEARCH_RESULT_HIT) {
      Result::HitRow h;
      h.object = std::string(r.str16());
      h.node = std::string(r.str16());
      const std::uint16_t ne = r.u16();
      for (std::uint16_t i = 0; i < ne; ++i) r.str16();
      const std::uint16_t nk = r.u16();
      for (std::uint16_t i = 0; i < nk; ++i) r.str16();
      h.hops = r.u8();
      h.endpoints = ne;
      h.keywords = nk;
      if (!r.ok() || !r.at_end() || res.done) {
        res.malformed = true;  // also: a hit after DONE breaks the contract
        return;
      }
      res.hits.push_back(std::move(h));
    } else if (kind == BUTTER_SEARCH_RESULT_DONE) {
      res.status = status;
      res.done_hits = r.u32();
      res.messages = r.u32();
      res.message = std::string(r.str16());
      if (!r.ok() || !r.at_end() || res.done) res.malformed = true;
      res.done = true;
    }
  }

  std::string topic_;
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, Result> results_;
  butter::Subscription sub_;
};

}  // namespace

BUTTER_PLUGIN(SearchClient, butter::Descriptor{.id = "test.search-client",
                                               .name = "Search client",
                                               .vendor = "Butter tests",
                                               .version = "1.0.0",
                                               .description = "drives butter.search/1 over its C interface",
                                               .optional = {BUTTER_IFACE_SEARCH}});
