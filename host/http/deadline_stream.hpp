// A blocking-style TCP connection whose every operation has a deadline, for the CLI's client
// (cli/node_client.*) and the tests' HTTP client (tests/support/http_client.*). Asio's blocking
// calls ignore SO_RCVTIMEO (they poll and retry), so a server that accepts and never answers
// would hang them forever: here each operation is started asynchronously on a private
// io_context, with beast::tcp_stream's expires_after, and the context is run until it completes
// or the deadline closes the socket (beast::error::timeout).
// Threading: one thread at a time; nothing runs in the background between calls.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>

namespace butter::host {

class DeadlineStream {
 public:
  using error_code = boost::system::error_code;

  DeadlineStream() = default;
  DeadlineStream(const DeadlineStream&) = delete;
  DeadlineStream& operator=(const DeadlineStream&) = delete;

  // Resolves `host` (numeric or a name) and connects, within `timeout`.
  error_code connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

  // Starts the operation `start(handler)` starts on stream() and runs until it completes; the
  // socket is closed when it takes longer than `timeout` (then beast::error::timeout).
  // `transferred` gets the handler's byte count, when it has one.
  template <class Start>
  error_code run(std::chrono::milliseconds timeout, Start&& start, std::size_t* transferred = nullptr) {
    error_code result = boost::asio::error::would_block;
    stream_.expires_after(timeout);
    start([&result, transferred](error_code ec, auto&&... rest) {
      result = ec;
      // Reads and writes report a byte count; connect reports the endpoint instead.
      ((void)(transferred &&
              [&] {
                if constexpr (std::is_convertible_v<decltype(rest), std::size_t>) *transferred = rest;
                return true;
              }()),
       ...);
    });
    io_.restart();
    io_.run();
    return result;
  }

  boost::beast::tcp_stream& stream() { return stream_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }

 private:
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_{io_};
  boost::beast::flat_buffer buffer_;
};

// "host:port" as a Host header names it: an IPv6 literal bracketed (RFC 9110 7.2).
std::string host_field(const std::string& host, std::uint16_t port);

}  // namespace butter::host
