#include "support/http_client.hpp"

#include "http/deadline_stream.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace butter::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

std::string HttpResult::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (beast::iequals(n, name)) return v;
  }
  return {};
}

// The connection and its deadlines are the host's DeadlineStream (http/deadline_stream.hpp), the
// same the CLI's client uses; what is test-only here is the whole-body request and result.
struct HttpConnection::Impl {
  Impl(const std::string& h, std::uint16_t p, std::chrono::milliseconds t) : host(h), port(p), timeout(t) {}

  // Runs the operation started by `start` until it completes or `timeout` passes; its error.
  template <class Start>
  error_code run(Start&& start) {
    return conn.run(timeout, std::forward<Start>(start));
  }

  void connect() {
    error_code ec = conn.connect(host, port, timeout);
    if (ec) throw std::runtime_error("cannot connect to " + where() + ": " + ec.message());
  }

  std::string where() const { return butter::host::host_field(host, port); }

  HttpResult request(const std::string& method, const std::string& target, const std::string& body, bool keep,
                     const HttpHeaders& extra = {}) {
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, where());
    req.set(http::field::user_agent, "butter-test");
    if (!body.empty()) req.set(http::field::content_type, "application/octet-stream");
    for (const auto& [name, value] : extra) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    req.keep_alive(keep);

    error_code ec = run([&](auto handler) { http::async_write(stream, req, std::move(handler)); });
    if (ec) throw std::runtime_error(method + " " + target + " on " + where() + ": sending failed: " + ec.message());

    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    if (method == "HEAD") parser.skip(true);
    ec = run([&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
    if (ec)
      throw std::runtime_error(method + " " + target + " on " + where() + ": no complete answer: " + ec.message());

    auto& res = parser.get();
    HttpResult out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    out.content_type = std::string(res[http::field::content_type]);
    for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return out;
  }

  std::string host;
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  butter::host::DeadlineStream conn;
  beast::tcp_stream& stream = conn.stream();
  beast::flat_buffer& buffer = conn.buffer();
};

HttpConnection::HttpConnection(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(host, port, timeout)) {
  impl_->connect();
}

HttpConnection::~HttpConnection() = default;

HttpResult HttpConnection::request(const std::string& method, const std::string& target, const std::string& body) {
  return impl_->request(method, target, body, true);
}

bool HttpConnection::closed_by_peer() {
  char byte = 0;
  error_code ec =
      impl_->run([&](auto handler) { impl_->stream.async_read_some(asio::buffer(&byte, 1), std::move(handler)); });
  return ec && ec != beast::error::timeout;
}

HttpResult http_request(const std::string& host, std::uint16_t port, const std::string& method,
                        const std::string& target, const std::string& body, std::chrono::milliseconds timeout) {
  HttpConnection::Impl conn(host, port, timeout);
  conn.connect();
  return conn.request(method, target, body, false);
}

HttpResult http_request_with(const std::string& host, std::uint16_t port, const std::string& method,
                             const std::string& target, const HttpHeaders& headers, const std::string& body,
                             std::chrono::milliseconds timeout) {
  HttpConnection::Impl conn(host, port, timeout);
  conn.connect();
  return conn.request(method, target, body, false, headers);
}

void split_http_url(const std::string& url, std::string& host, std::uint16_t& port, std::string& target) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  target = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos || close + 1 >= authority.size() || authority[close + 1] != ':') {
      throw std::invalid_argument("not an http URL: " + url);
    }
    host = authority.substr(1, close - 1);
    port_text = authority.substr(close + 2);
  } else {
    auto colon = authority.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("no port in URL: " + url);
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (host.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || value > 65535) {
    throw std::invalid_argument("not an http URL: " + url);
  }
  port = static_cast<std::uint16_t>(value);
}

HttpResult http_request_url(const std::string& method, const std::string& url, const std::string& body,
                            std::chrono::milliseconds timeout) {
  std::string host, target;
  std::uint16_t port = 0;
  split_http_url(url, host, port, target);
  return http_request(host, port, method, target, body, timeout);
}

HttpResult http_get(const std::string& url, std::chrono::milliseconds timeout) {
  return http_request_url("GET", url, "", timeout);
}

std::string raw_exchange(const std::string& host, std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
  HttpConnection::Impl conn(host, port, timeout);
  conn.connect();
  // A write error (the server closed early) is fine: what it answered is still to be read.
  conn.run([&](auto handler) { asio::async_write(conn.stream, asio::buffer(bytes), std::move(handler)); });
  std::string out;
  std::array<char, 4096> chunk{};
  for (;;) {
    std::size_t got = 0;
    error_code ec = conn.conn.run(
        timeout, [&](auto handler) { conn.stream.async_read_some(asio::buffer(chunk), std::move(handler)); }, &got);
    out.append(chunk.data(), got);
    if (ec) break;
  }
  return out;
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace butter::test
