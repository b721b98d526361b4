// A streamed exchange on the HTTP endpoint (what butter.http/2 rests on): a handler of a stream
// route gets an HttpExchange instead of a one-shot responder. It pulls the request body piece by
// piece (nothing more is read from the socket until it asks) and either answers whole or begins a
// response and writes it in pieces through a bounded queue.
// Threading: every call on the server's strand (the node's); the events come there too.
#pragma once
#include "core/status.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace butter::host {

struct HttpResponse;

// What a stream route's exchange reports. Any may be empty.
struct HttpStreamEvents {
  // The piece asked for with read_body(); `last` on the final one. Borrowed for the call.
  std::function<void(std::string_view chunk, bool last)> on_body;
  // A write() refused for lack of room now fits (the queue drained to half the window).
  std::function<void()> on_writable;
  // The exchange ended before the handler finished it (client gone, no progress within the
  // request timeout, body over its cap or malformed, server stopping). Called at most once.
  std::function<void(const std::string& reason)> on_closed;
};

class HttpExchange {
 public:
  static constexpr std::size_t kMaxChunk = 64 * 1024;          // bytes per on_body at most
  static constexpr std::size_t kWriteWindow = 1024 * 1024;     // bytes queued for the client at most
  static constexpr std::uint64_t kUnknownLength = UINT64_MAX;  // begin(): chunked

  virtual ~HttpExchange() = default;
  virtual void set_events(HttpStreamEvents events) = 0;
  // Asks for one more piece of a streamed body (BUTTER_E_AGAIN while one is asked for,
  // BUTTER_E_INVALID when the body is not streamed or already complete).
  virtual Error read_body(std::size_t max_bytes) = 0;
  // One whole answer; finishes the exchange (BUTTER_E_INVALID after begin()).
  virtual Error respond(HttpResponse response) = 0;
  // Status and headers; `length` exact, or kUnknownLength for chunked encoding.
  virtual Error begin(int status, std::string content_type, std::vector<std::pair<std::string, std::string>> headers,
                      std::uint64_t length) = 0;
  // Queues a copy of `data`: BUTTER_E_AGAIN when it does not fit the window (then on_writable).
  virtual Error write(std::string_view data) = 0;
  // Finishes the body once the queue is written.
  virtual Error end() = 0;
  // Closes the connection now. No event follows.
  virtual void abort() = 0;
  // Whether the handler may still act on it: false once it answered, ended, aborted or was closed.
  virtual bool open() const = 0;
  // Every call above after the exchange is over returns BUTTER_E_NOT_FOUND.
};

struct StreamRouteOptions {
  bool stream_body = false;
  // For a streamed body: the cap (413 beyond); 0 means none.
  std::uint64_t max_body_bytes = 0;
};

}  // namespace butter::host
