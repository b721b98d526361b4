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
//
// butter.http/2 (ext/http2.h) streams: http().stream(method, path, handlers, options) routes to
// StreamHandlers; each request comes with an HttpStream, a small copyable handle (the token):
//
//   butter::StreamHandlers h;
//   h.on_request = [this](const butter::HttpRequest& req, butter::HttpStream s) {
//     s.begin(200, "application/octet-stream", {}, size);   // then write() pieces, end()
//     pump(s);                                              // write until Status is AGAIN
//   };
//   h.on_writable = [this](butter::HttpStream s) { pump(s); };
//   h.on_closed = [this](butter::HttpStream s, std::string_view why) { forget(s.token()); };
//   http().stream("GET", "/big/", std::move(h), {}, butter::Match::Prefix);
//
// With StreamOptions::stream_body the body is pulled: s.read_body() asks for the next piece and
// on_body brings it (`last` on the final one).
#pragma once

#include <butter/cpp/core.hpp>
#include <butter/ext/http2.h>

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
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
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
  std::string_view path() const noexcept { return to_sv(r_->path); }    // not percent-decoded
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

// One butter.http/2 exchange: a handle naming it (copyable; the host checks every call, so a
// handle kept past its exchange gets BUTTER_E_NOT_FOUND, never a crash).
class HttpStream {
 public:
  HttpStream() = default;
  HttpStream(detail::Core* core, const butter_http_v2* v2, std::uint64_t token) noexcept
      : core_(core), v2_(v2), token_(token) {}
  std::uint64_t token() const noexcept { return token_; }
  explicit operator bool() const noexcept { return token_ != 0 && v2_; }

  // Asks for the next piece of a streamed body (one on_body follows).
  Status read_body(std::uint64_t max_bytes = BUTTER_HTTP_MAX_CHUNK) const {
    return v2_ ? Status(v2_->read_body(core_->host, token_, max_bytes)) : missing();
  }
  // Status and headers; `length` exact or BUTTER_HTTP_LENGTH_UNKNOWN (chunked).
  Status begin(int status, std::string_view content_type,
               const std::vector<std::pair<std::string, std::string>>& headers, std::uint64_t length) const {
    if (!v2_) return missing();
    std::vector<butter_http_header> hs;
    hs.reserve(headers.size());
    for (const auto& [n, v] : headers) hs.push_back({to_c(n), to_c(v)});
    return Status(v2_->begin(core_->host, token_, status, to_c(content_type), hs.empty() ? nullptr : hs.data(),
                             static_cast<std::uint32_t>(hs.size()), length));
  }
  // Queues a copy of `data`; Status AGAIN when the window is full (wait for on_writable).
  Status write(Bytes data) const { return v2_ ? Status(v2_->write(core_->host, token_, data.c())) : missing(); }
  Status end() const { return v2_ ? Status(v2_->end(core_->host, token_)) : missing(); }
  void abort() const noexcept {
    if (v2_) v2_->abort(core_->host, token_);
  }
  // An HttpResponse that answers this exchange whole, for code written for butter.http/1 (the
  // host takes v1's respond on a v2 token). Use it or begin(), not both.
  HttpResponse response() const noexcept { return HttpResponse(core_, token_); }
  // One whole answer instead of a stream.
  Status respond(int status, std::string_view content_type, Bytes body,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) const {
    if (!v2_) return missing();
    std::vector<butter_http_header> hs;
    hs.reserve(headers.size());
    for (const auto& [n, v] : headers) hs.push_back({to_c(n), to_c(v)});
    return Status(v2_->respond(core_->host, token_, status, to_c(content_type), body.c(),
                               hs.empty() ? nullptr : hs.data(), static_cast<std::uint32_t>(hs.size())));
  }

 private:
  static Status missing() { return Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_HTTP_V2); }
  detail::Core* core_ = nullptr;
  const butter_http_v2* v2_ = nullptr;
  std::uint64_t token_ = 0;
};

// What a stream route does with its exchanges. on_request is required; on_body with stream_body.
struct StreamHandlers {
  std::function<void(const HttpRequest&, HttpStream)> on_request;
  std::function<void(HttpStream, Bytes chunk, bool last)> on_body;
  std::function<void(HttpStream)> on_writable;
  std::function<void(HttpStream, std::string_view reason)> on_closed;
};

struct StreamOptions {
  bool stream_body = false;
  // Streamed bodies: 0 the node's max_body_bytes, BUTTER_HTTP_UNLIMITED none.
  std::uint64_t max_body_bytes = 0;
};

namespace detail {
struct StreamRouteSlot : Slot {
  StreamHandlers fn;
  const butter_http_v2* v2 = nullptr;
  std::string where;
  void release() noexcept override {
    if (v2 && id) v2->unroute(core->host, id);
  }
  // An exception escaping a callback ends that exchange (500 before an answer began, else abort).
  template <class F>
  static void guarded(StreamRouteSlot* s, std::uint64_t token, const char* what, F&& f) noexcept {
    Core& c = *s->core;
    Core::Scope scope(c);
    const HttpStream stream(&c, s->v2, token);
    std::string failure;
    try {
      f(stream);
      return;
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
    c.report(what, s->where, failure);
    if (stream.respond(500, "text/plain; charset=utf-8", Bytes(std::string_view(failure))).code() != BUTTER_OK)
      stream.abort();
  }
  static void request(void* user, const butter_http_request* req) noexcept {
    auto* s = static_cast<StreamRouteSlot*>(user);
    guarded(s, req->reply_token, "http stream handler",
            [&](const HttpStream& st) { s->fn.on_request(HttpRequest(req), st); });
  }
  static void body(void* user, uint64_t token, butter_bytes chunk, int32_t last) noexcept {
    auto* s = static_cast<StreamRouteSlot*>(user);
    if (!s->fn.on_body) return;
    guarded(s, token, "http body handler", [&](const HttpStream& st) { s->fn.on_body(st, Bytes(chunk), last != 0); });
  }
  static void writable(void* user, uint64_t token) noexcept {
    auto* s = static_cast<StreamRouteSlot*>(user);
    if (!s->fn.on_writable) return;
    guarded(s, token, "http writable handler", [&](const HttpStream& st) { s->fn.on_writable(st); });
  }
  static void closed(void* user, uint64_t token, butter_str reason) noexcept {
    auto* s = static_cast<StreamRouteSlot*>(user);
    if (!s->fn.on_closed) return;
    Core& c = *s->core;
    Core::Scope scope(c);
    try {
      s->fn.on_closed(HttpStream(&c, s->v2, token), to_sv(reason));
    } catch (const std::exception& e) {
      c.report("http closed handler", s->where, e.what());
    } catch (...) {
      c.report("http closed handler", s->where, "unknown exception");
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

  // True when the host offers butter.http/2 (streams) and this node has an HTTP endpoint.
  bool streams_available() const noexcept { return v2() != nullptr && available(); }

  // A butter.http/2 route (see the top of this file). Throws Error when refused or when the host
  // does not offer butter.http/2.
  Route stream(std::string_view method, std::string_view path, StreamHandlers handlers, StreamOptions options = {},
               Match match = Match::Exact) {
    const auto& http = core_->need(v2(), BUTTER_EXT_HTTP_V2);
    if (!handlers.on_request || (options.stream_body && !handlers.on_body)) {
      throw Error(BUTTER_E_INVALID, "a stream route needs on_request (and on_body to stream the body)");
    }
    auto owned = std::make_unique<detail::StreamRouteSlot>();
    owned->fn = std::move(handlers);
    owned->v2 = &http;
    owned->where = std::string(method) + " " + std::string(path);
    auto& s = core_->add(std::move(owned));
    butter_http2_route r{};
    r.struct_size = sizeof r;
    r.flags = options.stream_body ? BUTTER_HTTP_STREAM_BODY : 0u;
    r.max_body_bytes = options.max_body_bytes;
    r.user = &s;
    r.request = &detail::StreamRouteSlot::request;
    r.body = &detail::StreamRouteSlot::body;
    r.writable = &detail::StreamRouteSlot::writable;
    r.closed = &detail::StreamRouteSlot::closed;
    butter_error err;
    butter_error_init(&err);
    std::uint64_t id = 0;
    const butter_status st =
        http.route(core_->host, to_c(method), to_c(path), match == Match::Prefix ? 1 : 0, &r, &id, &err);
    if (st != BUTTER_OK) {
      const std::string where = s.where;
      core_->drop(s.key);
      throw Error(st, "cannot route " + where + ": " + Status::from(st, err).message());
    }
    s.id = id;
    return Route{s.key};
  }

  // "http://127.0.0.1:8700", or empty without an HTTP endpoint (copied).
  std::string base_url() const {
    if (!core_->ext.http) return {};
    return std::string(to_sv(core_->ext.http->base_url(core_->host)));
  }

 private:
  // Asked of the host on use: the wrapper's extension table is shared with older code.
  const butter_http_v2* v2() const noexcept {
    if (!core_->host || !core_->host->get_extension) return nullptr;
    return static_cast<const butter_http_v2*>(core_->host->get_extension(core_->host, BUTTER_EXT_HTTP_V2));
  }
  detail::Core* core_;
};

}  // namespace butter
