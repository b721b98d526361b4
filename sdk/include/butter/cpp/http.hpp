// butter/cpp/http.hpp — "butter.http/1": routes on the node's local HTTP endpoint.
//
//   http().get("/echo/stats", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
//     res.json("{\"served\":" + std::to_string(served_) + "}");
//   });
//   http().get("/wiki/", handler, butter::Match::Prefix);     // everything below /wiki/
//   http().post("/chat/send", [this](const auto& req, auto& res) { post(req.body()); res.status(204).text(""); });
//
// An HttpRequest is a view valid during the handler only. An HttpResponse collects status and
// headers, and text()/json()/html()/send() answer. It is movable: move it out to answer later.
// A handler that throws answers 500 with the message; a response destroyed unanswered answers
// 500 "handler did not respond". Routes live until unroute() or stop. [node]
#pragma once

#include <butter/cpp/core.hpp>

#include <map>
#include <optional>

namespace butter {

namespace detail {
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}
}  // namespace detail

// Decodes %XX escapes and, in form encoding, '+' as a space. Malformed escapes are kept as is.
inline std::string percent_decode(std::string_view s, bool plus_is_space = true) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = detail::hex_value(s[i + 1]);
      const int lo = detail::hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

// A JSON string literal, quotes included: `"`, `\` and control characters escaped, `<` as \u003c
// so that the JSON is also safe inside an HTML page. UTF-8 passes through unchanged.
inline std::string json_string(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F || c == '<') {
          out += "\\u00";
          out.push_back(digits[c >> 4]);
          out.push_back(digits[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

// A strict application/x-www-form-urlencoded body ("a=1&b=x%20y" -> {a: "1", b: "x y"}):
// nullopt for a malformed or truncated escape or a repeated key, so that a form is never half read.
inline std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  auto decode = [](std::string_view in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '+') {
        out.push_back(' ');
      } else if (in[i] == '%') {
        if (i + 2 >= in.size()) return false;
        const int hi = detail::hex_value(in[i + 1]), lo = detail::hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out.push_back(in[i]);
      }
    }
    return true;
  };
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key, value;
    if (!decode(pair.substr(0, eq), key)) return std::nullopt;
    if (eq != std::string_view::npos && !decode(pair.substr(eq + 1), value)) return std::nullopt;
    if (!out.emplace(std::move(key), std::move(value)).second) return std::nullopt;
  }
  return out;
}

// A request for one of this instance's routes. Borrowed: valid during the handler only.
class HttpRequest {
 public:
  explicit HttpRequest(const butter_http_request* r) noexcept : r_(r) {}
  std::string_view method() const noexcept { return to_sv(r_->method); }
  std::string_view path() const noexcept { return to_sv(r_->path); }  // not percent-decoded
  std::string_view query() const noexcept { return to_sv(r_->query); }  // without '?'
  Bytes body_bytes() const noexcept { return Bytes(r_->body); }
  std::string_view body() const noexcept { return body_bytes().text(); }
  // The first header named `name` (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    for (std::uint32_t i = 0; i < r_->header_count && r_->headers; ++i)
      if (detail::iequals(to_sv(r_->headers[i].name), name)) return to_sv(r_->headers[i].value);
    return std::nullopt;
  }
  // The first query parameter named `name`, percent-decoded ("q=a+b%21" -> "a b!"); a key without
  // '=' gives "".
  std::optional<std::string> query_param(std::string_view name) const {
    std::string_view q = query();
    while (!q.empty()) {
      const std::size_t amp = q.find('&');
      const std::string_view pair = q.substr(0, amp);
      q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      const std::string_view key = pair.substr(0, eq);
      if (percent_decode(key) != name) continue;
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    return std::nullopt;
  }
  const butter_http_request* c() const noexcept { return r_; }

 private:
  const butter_http_request* r_;
};

class HttpResponse {
 public:
  HttpResponse() = default;
  HttpResponse(detail::Core* core, std::uint64_t token) noexcept : core_(core), token_(token) {}
  HttpResponse(HttpResponse&& o) noexcept
      : core_(o.core_), token_(std::exchange(o.token_, 0)), status_(o.status_), headers_(std::move(o.headers_)) {}
  HttpResponse& operator=(HttpResponse&& o) noexcept {
    if (this != &o) {
      fail(500, "handler did not respond");
      core_ = o.core_;
      token_ = std::exchange(o.token_, 0);
      status_ = o.status_;
      headers_ = std::move(o.headers_);
    }
    return *this;
  }
  HttpResponse(const HttpResponse&) = delete;
  HttpResponse& operator=(const HttpResponse&) = delete;
  ~HttpResponse() { fail(500, "handler did not respond"); }

  bool pending() const noexcept { return token_ != 0; }
  int status() const noexcept { return status_; }
  // Sets the status for the answer to come (200 by default).
  HttpResponse& status(int code) noexcept {
    status_ = code;
    return *this;
  }
  // Adds a response header.
  HttpResponse& header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }

  Status text(Bytes body) { return send("text/plain; charset=utf-8", body); }
  Status json(Bytes body) { return send("application/json", body); }
  Status html(Bytes body) { return send("text/html; charset=utf-8", body); }
  // Answers now with the current status, the headers and `body` (all copied by the host).
  Status send(std::string_view content_type, Bytes body) {
    if (!token_) return Status(BUTTER_E_INVALID, "already answered");
    const auto& http = core_->need(core_->ext.http, BUTTER_EXT_HTTP);
    std::vector<butter_http_header> hs;
    hs.reserve(headers_.size());
    for (const auto& [n, v] : headers_) hs.push_back({to_c(n), to_c(v)});
    const std::uint64_t t = std::exchange(token_, 0);
    return Status(http.respond(core_->host, t, status_, to_c(content_type), body.c(), hs.empty() ? nullptr : hs.data(),
                               static_cast<std::uint32_t>(hs.size())));
  }
  // Answers `code` with a plain-text reason; never throws; does nothing once answered.
  void fail(int code, std::string_view reason) noexcept {
    if (!token_ || !core_ || !core_->ext.http) return;
    const std::uint64_t t = std::exchange(token_, 0);
    core_->ext.http->respond(core_->host, t, code, to_c("text/plain; charset=utf-8"), Bytes(reason).c(), nullptr, 0);
  }

 private:
  detail::Core* core_ = nullptr;
  std::uint64_t token_ = 0;
  int status_ = 200;
  std::vector<std::pair<std::string, std::string>> headers_;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

enum class Match { Exact, Prefix };

// A route's id, for unroute(). Routes are not RAII: they live until unroute() or stop.
struct Route {
  std::uint64_t key = 0;
};

namespace detail {
struct RouteSlot : Slot {
  HttpHandler fn;
  std::string where;
  void release() noexcept override {
    if (core->ext.http && id) core->ext.http->unroute(core->host, id);
  }
  static void request(void* user, const butter_http_request* req) noexcept {
    auto* s = static_cast<RouteSlot*>(user);
    Core& c = *s->core;
    Core::Scope scope(c);
    HttpResponse res(&c, req->reply_token);
    const HttpRequest rq(req);
    try {
      s->fn(rq, res);
    } catch (const std::exception& e) {
      c.report("http handler", s->where, e.what());
      res.fail(500, e.what());
    } catch (...) {
      c.report("http handler", s->where, "unknown exception");
      res.fail(500, "unknown exception");
    }
  }
};
}  // namespace detail

class Http {
 public:
  explicit Http(detail::Core* core) noexcept : core_(core) {}

  // True when the host offers butter.http/1 (a node may still have no HTTP endpoint: then
  // route() throws Error(BUTTER_E_UNAVAILABLE)).
  // True when the host offers butter.http/1 AND this node has an HTTP endpoint (a node may run
  // with `http = ""`): check it before registering optional routes.
  bool available() const noexcept {
    return core_->ext.http != nullptr && core_->ext.http->base_url(core_->host).len > 0;
  }

  // Routes `method` ("GET", "POST", "*" for any) on `path`. Throws Error when refused.
  Route route(std::string_view method, std::string_view path, HttpHandler fn, Match match = Match::Exact) {
    const auto& http = core_->need(core_->ext.http, BUTTER_EXT_HTTP);
    auto owned = std::make_unique<detail::RouteSlot>();
    owned->fn = std::move(fn);
    owned->where = std::string(method) + " " + std::string(path);
    auto& s = core_->add(std::move(owned));
    butter_error err;
    butter_error_init(&err);
    std::uint64_t id = 0;
    const butter_status st = http.route(core_->host, to_c(method), to_c(path), match == Match::Prefix ? 1 : 0,
                                        &detail::RouteSlot::request, &s, &id, &err);
    if (st != BUTTER_OK) {
      const std::string where = s.where;
      core_->drop(s.key);
      throw Error(st, "cannot route " + where + ": " + Status::from(st, err).message());
    }
    s.id = id;
    return Route{s.key};
  }
  Route get(std::string_view path, HttpHandler fn, Match match = Match::Exact) {
    return route("GET", path, std::move(fn), match);
  }
  Route post(std::string_view path, HttpHandler fn, Match match = Match::Exact) {
    return route("POST", path, std::move(fn), match);
  }
  void unroute(Route r) noexcept { core_->release(r.key); }

  // "http://127.0.0.1:8700", or empty without an HTTP endpoint (copied).
  std::string base_url() const {
    if (!core_->ext.http) return {};
    return std::string(to_sv(core_->ext.http->base_url(core_->host)));
  }

 private:
  detail::Core* core_;
};

}  // namespace butter
