// One HTTP/1.1 connection of the local endpoint (Boost.Beast), on the server's strand. Its
// request/answer cycle (read a head within header_timeout, a body, guard, route, answer, keep-alive,
// linger) is in http_session.cpp; the exchange of a stream route (http_exchange.hpp: a body pulled
// piece by piece, an answer written from a bounded queue, progress deadlines and minimum rates)
// is in http_stream_session.cpp. The server's only headers that include Beast are this one and
// deadline_stream.hpp (the clients'). Internal to the http area.
#pragma once
#include "http/security_headers.hpp"
#include "http/server_state.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace butter::host::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

// Path and query of a request-target; absolute-form ("http://host/x") is reduced to its path.
void split_target(const std::string& target, std::string& path, std::string& query);
// A text/plain answer.
HttpResponse plain(int status, std::string body);
// Whether `ec` is Beast's verdict on malformed HTTP.
bool is_parse_error(const error_code& ec);

class HttpSession;

// The handle a stream route's handler holds: the session and which request it answers. Every call
// checks that the exchange is still open, so a handle kept past its exchange does nothing.
class SessionExchange final : public HttpExchange {
 public:
  SessionExchange(std::weak_ptr<HttpSession> session, std::uint64_t seq) : session_(std::move(session)), seq_(seq) {}
  void set_events(HttpStreamEvents events) override;
  Error read_body(std::size_t max_bytes) override;
  Error respond(HttpResponse response) override;
  Error begin(int status, std::string content_type, std::vector<std::pair<std::string, std::string>> headers,
              std::uint64_t length) override;
  Error write(std::string_view data) override;
  Error end() override;
  void abort() override;
  bool open() const override { return live() != nullptr; }

 private:
  std::shared_ptr<HttpSession> live() const;
  std::weak_ptr<HttpSession> session_;
  const std::uint64_t seq_;
};

class HttpSession final : public Session, public std::enable_shared_from_this<HttpSession> {
 public:
  friend class SessionExchange;

  HttpSession(std::shared_ptr<ServerState> state, tcp::socket socket, std::uint64_t id);

  void start();

  SessionView view() const override { return SessionView{id_, phase_, since_}; }

  void close() override;

 private:
  std::chrono::milliseconds timeout() const { return state_->options.request_timeout; }

  void enter(SessionPhase phase);

  // Keep-alive, between requests: wait for the first byte of the next request (idle_timeout), then
  // give its head the full header_timeout. Bytes already buffered (a pipelined request) start it.
  void await_next();

  // One deadline for the whole head, set once: a client sending a byte at a time cannot extend it.
  void read_head();

  void on_header(error_code ec);

  void read_body();
  // Beast reads a body into buffer_ no more than its spare capacity at a time (512 bytes at
  // least): left at the head's few KiB, a large body came in about 200 000 reads a second.
  // Before a body: room for up to `expected` bytes (capped at a piece); after it, given back.
  void make_room_for_body(std::uint64_t expected);

  void on_read_error(error_code ec);

  // A buffered request is complete: route it.
  void on_request();

  // The head of a request to a route that streams its body: the body stays on the socket until
  // the handler pulls it.
  void on_streamed_head(const RouteMatch& match);

  template <class Message>
  HttpRequest describe(const Message& msg) {
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    split_target(req.target, req.path, req.query);
    for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.remote = remote_;
    head_ = msg.method() == http::verb::head;
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    return req;
  }

  void dispatch(HttpRequest req, const RouteMatch& match);

  // ---- Stream routes: the exchange -------------------------------------------------------------

  void start_exchange(std::uint64_t seq, const HttpRequest& req, const RouteMatch& match);

  bool exchange_is(std::uint64_t seq) const { return !closed_ && seq == seq_ && exchange_open_; }

  // The progress deadline: re-armed whenever the exchange moves.
  void touch();

  // The exchange ended without the handler finishing it: tell it once, then forget its events.
  void report_closed(const std::string& reason);

  // The handler is done with the exchange (it answered, ended or aborted): no more events.
  void handler_done();

  void release_stream();

  Error x_read_body(std::size_t max_bytes);

  void read_piece(std::size_t want);

  void read_more(std::size_t want, std::size_t have);

  void deliver_piece(std::size_t got, bool last);

  void on_body_error(error_code ec, std::size_t want);

  Error x_respond(HttpResponse r);

  Error x_begin(int status, std::string content_type, std::vector<std::pair<std::string, std::string>> headers,
                std::uint64_t length);

  Error x_write(std::string_view data);

  Error x_end();

  void x_abort();

  // The next piece to write: up to kMaxChunk bytes gathered from the front of the queue, so that
  // the write deadline asks the same of the client whatever sizes the handler wrote (64 KiB per
  // request_timeout at least, or all that is queued), and a 1 MiB write is not one long write.
  void fill_piece();

  // Writes what is queued, one piece at a time; the head goes first, the end last.
  void pump();

  void on_written(error_code ec, std::size_t piece);

  void on_stream_written();

  // Forgets the previous request's exchange before a new request.
  void reset_exchange();

  void refuse(std::uint64_t seq, const HttpRequest& req, const GuardVerdict& verdict);

  // Writes the answer to request `seq`, if it is still the one awaiting an answer.
  void send(std::uint64_t seq, HttpResponse r);

  void build(http::response<http::string_body>& res, HttpResponse r);

  // Status, content type, the security headers and the handler's headers (but those the server
  // owns), keep-alive.
  template <class Body>
  void head_fields(http::response<Body>& res, HttpResponse& r) {
    if (r.status < 100 || r.status > 999) throw std::invalid_argument("invalid status " + std::to_string(r.status));
    res.result(static_cast<unsigned>(r.status));
    res.version(version_);
    res.set(http::field::server, "butter");
    res.set(http::field::content_type, r.content_type);
    add_security_headers(r.headers);
    for (auto& [name, value] : r.headers) {
      if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
          beast::iequals(name, "connection")) {
        continue;
      }
      if (beast::iequals(name, "content-type") || beast::iequals(name, "server")) {
        res.set(name, value);
      } else {
        res.insert(name, value);
      }
    }
    res.keep_alive(keep_alive_);
  }

  void write(const std::shared_ptr<http::response<http::string_body>>& res, bool close_after);

  // Answers a request we cannot serve and closes the connection.
  void fail(int status, std::string body);

  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // answer we just wrote before the client reads it. So: stop sending, read and drop what the
  // client still sends for a short while, then close.
  void linger_close();

  void drain();

  std::shared_ptr<ServerState> state_;
  std::string remote_;
  std::string remote_ip_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer timer_;
  std::array<char, 4096> drain_{};
  const std::uint64_t id_;
  SessionPhase phase_ = SessionPhase::kReceiving;
  std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
  bool reading_head_ = false;
  std::uint64_t seq_ = 0;
  bool awaiting_ = false;
  bool closed_ = false;
  bool head_ = false;
  bool keep_alive_ = false;
  unsigned version_ = 11;

  // The exchange of a stream route (reset_exchange()).
  std::optional<http::request_parser<http::buffer_body>> body_parser_;
  HttpStreamEvents events_;
  std::string close_reason_;    // what report_closed() tells the handler when the connection closes
  bool exchange_open_ = false;  // the handler may still act on it
  bool counted_ = false;        // counted in state_->open_streams
  bool expect_continue_ = false;
  bool body_pending_ = false;
  bool body_done_ = false;
  std::vector<char> chunk_;      // the piece being read
  std::vector<char> delivered_;  // the piece the handler is reading (swapped with chunk_)
  bool begun_ = false, ending_ = false, writing_ = false, want_writable_ = false, head_sent_ = false;
  std::uint64_t declared_length_ = HttpExchange::kUnknownLength;
  std::uint64_t written_ = 0;
  std::deque<std::string> queue_;
  std::size_t front_pos_ = 0;  // bytes of queue_.front() already in a piece
  std::vector<char> piece_;    // the piece being written (counted in queued_ until written)
  std::size_t queued_ = 0;
  std::shared_ptr<http::response<http::buffer_body>> response_;
  std::shared_ptr<http::response_serializer<http::buffer_body>> serializer_;
};

}  // namespace butter::host::http_detail
