// A small blocking HTTP/1.1 client for tests, over loopback (Boost.Beast underneath). Every call
// has a deadline; a connection that cannot be made, or that closes or stalls before a complete
// answer, throws std::runtime_error.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace butter::test {

using namespace std::chrono_literals;

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // all of them, as received

  // The first header named `name` (case-insensitive), "" when absent.
  std::string header(const std::string& name) const;
};

// `s` percent-encoded for a query value: letters, digits and "-._" stay, every other byte is %XX.
std::string url_encode(const std::string& s);

// One request on a fresh connection (Connection: close). `body` is sent with
// Content-Type: application/octet-stream when not empty.
HttpResult http_request(const std::string& host, std::uint16_t port, const std::string& method,
                        const std::string& target, const std::string& body = "",
                        std::chrono::milliseconds timeout = 5s);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// As http_request, with `headers` set on the request (each replaces a default of the same name,
// e.g. Host or Content-Type).
HttpResult http_request_with(const std::string& host, std::uint16_t port, const std::string& method,
                             const std::string& target, const HttpHeaders& headers, const std::string& body = "",
                             std::chrono::milliseconds timeout = 5s);

// GET of "http://127.0.0.1:8080/status" (also "[::1]:8080/x", "127.0.0.1:8080"; path "/" when absent).
HttpResult http_get(const std::string& url, std::chrono::milliseconds timeout = 5s);

// `method` on a URL as above.
HttpResult http_request_url(const std::string& method, const std::string& url, const std::string& body = "",
                            std::chrono::milliseconds timeout = 5s);

// Splits "http://host:port/target" into its parts; throws std::invalid_argument when it is not that.
void split_http_url(const std::string& url, std::string& host, std::uint16_t& port, std::string& target);

// A persistent connection: several requests, one after the other, with keep-alive.
class HttpConnection {
 public:
  HttpConnection(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout = 5s);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "");
  // Whether the server has closed the connection (waits up to the timeout for that to happen).
  bool closed_by_peer();

  struct Impl;  // also used by the one-shot helpers below

 private:
  std::unique_ptr<Impl> impl_;
};

// Writes `bytes` as they are on a fresh connection, then reads until the server closes it (or the
// timeout passes) and returns everything read. For malformed requests.
std::string raw_exchange(const std::string& host, std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = 5s);

}  // namespace butter::test
