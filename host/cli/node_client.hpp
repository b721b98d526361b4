// A blocking HTTP/1.1 client for the `butter put/get/cat/search` commands: one request per
// connection to a running node's local HTTP endpoint, with the request body streamed from a
// source and the answer's body streamed to a sink, so that no file is ever held in memory.
// Every step (connect, each write, the head, each piece of the body) gives up after `timeout`
// without progress (http/deadline_stream.hpp: asynchronous operations with a deadline).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace butter::host::cli {

// The node's default local HTTP address (manifests/default.toml: http = "127.0.0.1:8700").
inline constexpr const char* kDefaultNodeUrl = "http://127.0.0.1:8700";
// How long any step of an exchange may go without progress, by default (--timeout).
inline constexpr std::chrono::milliseconds kDefaultTimeout{60000};

struct NodeAddress {
  std::string host;
  std::uint16_t port = 0;
};

// "http://127.0.0.1:8700" (a trailing "/" allowed; IPv6 as [::1]); nullopt and `why` otherwise.
std::optional<NodeAddress> parse_node_url(const std::string& url, std::string& why);

struct ClientRequest {
  std::string method = "GET";
  std::string target;  // "/storage/<id>"
  std::vector<std::pair<std::string, std::string>> headers;
  // Streamed body: `body_size` bytes pulled from `body` (fills the buffer, returns bytes put in,
  // 0 at the end or on error). No body when body_size is 0.
  std::uint64_t body_size = 0;
  std::function<std::size_t(char* buf, std::size_t cap)> body;
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::uint64_t> content_length;
  std::string body;  // only when no sink was given (small answers: JSON, errors)
  std::string header(std::string_view name) const;
};

// Called with each piece of the answer's body as it arrives; return false to stop reading.
using BodySink = std::function<bool(std::string_view piece)>;

// Sends `req` and reads the answer. With `sink`, the body of a 2xx answer goes there and other
// answers' bodies (errors) land in ClientResponse::body (at most 64 KiB of them). Returns false
// and sets `why` when the node cannot be reached or the exchange breaks (the answer read so far
// stays in `res`, so a caller can tell how far it got).
bool exchange(const NodeAddress& node, const ClientRequest& req, ClientResponse& res, const BodySink& sink,
              std::string& why, std::chrono::milliseconds timeout = kDefaultTimeout);

}  // namespace butter::host::cli
