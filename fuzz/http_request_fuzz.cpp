// Fuzz target: what the node's HTTP endpoint does with request bytes (host/http). The host has no
// HTTP parser of its own: it runs Boost.Beast's request parser with the limits http_session.cpp
// sets (16 KiB of header, a bounded body), then routes the request (host/http/router.*). This target
// does the same with the stream fed in fuzzer-chosen pieces, several requests per connection
// (keep-alive), and routes each parsed request through a table with exact, prefix and wildcard
// routes, after the request guard (host/http/request_guard.*) has judged its Host, Origin and
// Sec-Fetch-Site. Invariants: a parsed body never exceeds the limit; a route match is consistent
// (Found has a handler, MethodNotAllowed lists the allowed methods); a refusal is 421 or 403 with a
// one-line reason.
#include "fuzz_support.hpp"
#include "http/request_guard.hpp"
#include "http/router.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/http.hpp>

#include <optional>

namespace http = boost::beast::http;
using namespace butter::host;
using butter::host::http_detail::RouteMatch;
using butter::host::http_detail::Router;

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;  // as in http_session.cpp
constexpr std::size_t kBodyLimit = 4096;         // small, so that the fuzzer reaches the limit

Router& router() {
  static Router r;
  return r;
}

void add_routes() {
  HttpHandler h = [](const HttpRequest&, HttpResponder) {};
  router().add("GET", "/status", false, h);
  router().add("GET", "/metrics", false, h);
  router().add("*", "/wiki", true, h);
  router().add("POST", "/wiki/page", false, h);
  router().add("GET", "/", true, h);
}

std::optional<std::string_view> header_of(const http::request<http::string_body>& req, std::string_view name) {
  auto it = req.find(name);
  if (it == req.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

void guard(const http::request<http::string_body>& req) {
  static const auto id = http_detail::make_identity("0.0.0.0", "0.0.0.0", 8700, {"node1.lan"});
  const std::string_view method(req.method_string().data(), req.method_string().size());
  const auto v = http_detail::check_request(
      id, {method, header_of(req, "Host"), header_of(req, "Origin"), header_of(req, "Sec-Fetch-Site")});
  if (v.allowed()) return;
  FUZZ_CHECK(v.status == 421 || v.status == 403);
  FUZZ_CHECK(!v.reason.empty() && v.reason.find('\n') == std::string::npos);
}

void route(const http::request<http::string_body>& req) {
  guard(req);
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find_first_of("?#"));
  const RouteMatch m = router().match(std::string(req.method_string()), path);
  if (m.kind == RouteMatch::Kind::Found) FUZZ_CHECK(m.handler != nullptr);
  if (m.kind == RouteMatch::Kind::MethodNotAllowed) FUZZ_CHECK(!m.allow.empty());
  (void)http_detail::prefix_covers("/wiki", path);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // host code logs every refusal
  add_routes();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  butter::fuzz::Input in(data, size);
  std::optional<http::request_parser<http::string_body>> parser;
  auto fresh = [&] {
    parser.emplace();
    parser->header_limit(kHeaderLimit);
    parser->body_limit(kBodyLimit);
  };
  fresh();
  std::string pending;
  int requests = 0;
  for (auto piece = in.piece(128); !piece.empty(); piece = in.piece(128)) {
    pending.append(piece.begin(), piece.end());
    while (!pending.empty()) {
      boost::system::error_code ec;
      const std::size_t used = parser->put(boost::asio::buffer(pending), ec);
      FUZZ_CHECK(used <= pending.size());
      pending.erase(0, used);
      if (ec == http::error::need_more) break;
      if (ec) return 0;  // the session answers 400/413/431 and closes the connection
      if (!parser->is_done()) {
        if (used == 0) break;
        continue;
      }
      auto req = parser->release();
      FUZZ_CHECK(req.body().size() <= kBodyLimit);
      route(req);
      if (++requests > 64 || !req.keep_alive()) return 0;
      fresh();
    }
  }
  // Beast requires some bytes before an EOF (it asserts in debug builds); with none there is no
  // request to finish, as in the host, whose read sees a plain end of stream.
  if (!parser->got_some()) return 0;
  boost::system::error_code ec;
  parser->put_eof(ec);
  if (!ec && parser->is_done()) route(parser->get());
  return 0;
}
