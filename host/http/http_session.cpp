// One HTTP/1.1 connection (Boost.Beast), on the server's strand: read a request head (within
// header_timeout), its body (max_body_bytes, request_timeout), check it against the request guard,
// route it, let the handler answer (now or later, once), write the answer with the security
// headers, then wait up to idle_timeout for the next request while keep-alive. A malformed request
// gets 400 and the connection is closed; an oversized body gets 413 and likewise. The session
// tells the server where it is (SessionPhase), so that at max_connections the cheapest connection
// can be closed for a new one. The only translation unit of the server that includes Beast.
// Stream routes (http_exchange.hpp) get an exchange instead: a streamed body is chosen from the
// head and pulled piece by piece through a buffer_body parser; a streamed answer goes out through
// a buffer_body serializer from a queue bounded by the write window. Their deadline is one of
// progress: re-armed whenever anything moves, so a long transfer is never cut while it moves.
#include "http/security_headers.hpp"
#include "http/server_state.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <deque>
#include <optional>

namespace butter::host::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kFirstRead = 4096;  // what one read of an idle keep-alive connection takes
constexpr std::chrono::milliseconds kLingerLimit{2000};

// The client's IP address alone: what max_streams_per_address counts by.
std::string remote_address(const tcp::socket& socket) {
  error_code ec;
  auto ep = socket.remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string();
}

std::string format_remote(const tcp::socket& socket) {
  error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

// Path and query of a request-target; absolute-form ("http://host/x") is reduced to its path.
void split_target(const std::string& target, std::string& path, std::string& query) {
  std::string_view t = target;
  if (!t.empty() && t.front() != '/') {
    auto scheme = t.find("://");
    if (scheme != std::string_view::npos) {
      auto slash = t.find('/', scheme + 3);
      t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
    }
  }
  auto hash = t.find('#');
  if (hash != std::string_view::npos) t = t.substr(0, hash);
  auto q = t.find('?');
  path = std::string(t.substr(0, q));
  query = q == std::string_view::npos ? std::string() : std::string(t.substr(q + 1));
}

HttpResponse plain(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

bool is_parse_error(const error_code& ec) {
  static const error_code sample = http::error::bad_target;
  return ec.category() == sample.category();
}

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

Error exchange_over() { return Error::make(BUTTER_E_NOT_FOUND, "the exchange is over"); }

template <class Fields>
std::optional<std::string_view> header_in(const Fields& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

class HttpSession final : public Session, public std::enable_shared_from_this<HttpSession> {
 public:
  friend class SessionExchange;

  HttpSession(std::shared_ptr<ServerState> state, tcp::socket socket, std::uint64_t id)
      : state_(std::move(state)),
        remote_(format_remote(socket)),
        remote_ip_(remote_address(socket)),
        stream_(std::move(socket)),
        timer_(state_->strand),
        id_(id) {}

  void start() {
    state_->sessions[id_] = weak_from_this();
    read_head();
  }

  SessionView view() const override { return SessionView{id_, phase_, since_}; }

  void close() override {
    if (closed_) return;
    closed_ = true;
    awaiting_ = false;
    timer_.cancel();
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    state_->sessions.erase(id_);
    if (state_->stopped && close_reason_.empty()) close_reason_ = "the node is stopping";
    report_closed(close_reason_.empty() ? std::string("the client went away") : close_reason_);
    release_stream();
  }

 private:
  std::chrono::milliseconds timeout() const { return state_->options.request_timeout; }

  void enter(SessionPhase phase) {
    phase_ = phase;
    since_ = std::chrono::steady_clock::now();
  }

  // Keep-alive, between requests: wait for the first byte of the next request (idle_timeout), then
  // give its head the full header_timeout. Bytes already buffered (a pipelined request) start it.
  void await_next() {
    if (closed_) return;
    if (state_->stopped) return close();
    if (buffer_.size() > 0) return read_head();
    enter(SessionPhase::kIdle);
    stream_.expires_after(state_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstRead), [self = shared_from_this()](error_code ec, std::size_t n) {
      if (self->closed_) return;
      if (ec) {
        if (ec == beast::error::timeout) {
          ++self->state_->counters.idle_timeouts;
          spdlog::debug("http: closing keep-alive connection from {}: idle for {} ms", self->remote_,
                        self->state_->options.idle_timeout.count());
        }
        return self->close();
      }
      self->buffer_.commit(n);
      self->read_head();
    });
  }

  // One deadline for the whole head, set once: a client sending a byte at a time cannot extend it.
  void read_head() {
    if (closed_) return;
    if (state_->stopped) return close();
    enter(SessionPhase::kReceiving);
    reading_head_ = true;
    reset_exchange();
    parser_.emplace();
    // Beast checks a Content-Length against the limit as the head completes, before we know the
    // route (whose cap may differ): on_header checks it, and sets the limit chunked bodies meet.
    parser_->body_limit(boost::none);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(state_->options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (closed_) return;
    if (ec) return on_read_error(ec);
    reading_head_ = false;
    {
      const auto& head = parser_->get();
      std::string path, query;
      split_target(std::string(head.target()), path, query);
      RouteMatch match = state_->router.match(std::string(head.method_string()), path);
      const bool streamed = match.kind == RouteMatch::Kind::Found && match.stream_handler && match.stream_options.stream_body;
      const std::uint64_t cap = streamed ? match.stream_options.max_body_bytes : state_->options.max_body_bytes;
      if (cap && parser_->content_length() && *parser_->content_length() > cap) {
        return fail(413, "request body too large (limit " + std::to_string(cap) + " bytes)\n");
      }
      if (streamed) return on_streamed_head(std::move(match));
      parser_->body_limit(state_->options.max_body_bytes);
    }
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, parser_->get().version());
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](error_code wec, std::size_t) {
        if (self->closed_) return;
        if (wec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_request();
    stream_.expires_after(timeout());
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (self->closed_) return;
      if (ec) return self->on_read_error(ec);
      self->on_request();
    });
  }

  void on_read_error(error_code ec) {
    if (ec == http::error::body_limit) return fail(413, "request body too large (limit " +
                                                            std::to_string(state_->options.max_body_bytes) + " bytes)\n");
    if (ec == http::error::header_limit) return fail(431, "request header too large\n");
    if (ec != http::error::end_of_stream && ec != http::error::partial_message && is_parse_error(ec)) {
      spdlog::debug("http: malformed request from {}: {}", remote_, ec.message());
      return fail(400, "malformed request: " + ec.message() + "\n");
    }
    if (ec == beast::error::timeout && reading_head_) {
      ++state_->counters.header_timeouts;
      spdlog::debug("http: closing connection from {}: no complete request head within {} ms", remote_,
                    state_->options.header_timeout.count());
    }
    // The client went away, or was idle past the timeout, or we are closing.
    close();
  }

  // A buffered request is complete: route it.
  void on_request() {
    if (state_->stopped) return close();
    auto msg = parser_->release();
    HttpRequest req = describe(msg);
    req.body = std::move(msg.body());
    RouteMatch match = state_->router.match(req.method, req.path);
    dispatch(std::move(req), std::move(match));
  }

  // The head of a request to a route that streams its body: the body stays on the socket until
  // the handler pulls it.
  void on_streamed_head(RouteMatch match) {
    if (state_->stopped) return close();
    expect_continue_ = beast::iequals(parser_->get()[http::field::expect], "100-continue");
    body_parser_.emplace(std::move(*parser_));
    // After the move: the converted parser does not keep the head parser's limit.
    const std::uint64_t cap = match.stream_options.max_body_bytes;
    body_parser_->body_limit(cap ? boost::optional<std::uint64_t>(cap) : boost::none);
    HttpRequest req = describe(body_parser_->get());
    dispatch(std::move(req), std::move(match));
  }

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

  void dispatch(HttpRequest req, RouteMatch match) {
    enter(SessionPhase::kBusy);
    const std::uint64_t seq = ++seq_;
    awaiting_ = true;

    // Before any route, so that no plugin can forget it.
    GuardVerdict verdict = check_request(state_->identity, RequestFacts{req.method, header_in(req.headers, "Host"),
                                                                        header_in(req.headers, "Origin"),
                                                                        header_in(req.headers, "Sec-Fetch-Site")});
    if (!verdict.allowed()) return refuse(seq, req, verdict);

    if (match.kind == RouteMatch::Kind::NotFound) return send(seq, plain(404, "not found\n"));
    if (match.kind == RouteMatch::Kind::MethodNotAllowed) {
      HttpResponse r = plain(405, "method not allowed\n");
      r.headers.emplace_back("Allow", match.allow);
      return send(seq, std::move(r));
    }
    if (match.stream_handler) return start_exchange(seq, req, match);

    // A handler that never answers must not hold the connection forever.
    timer_.expires_after(timeout());
    timer_.async_wait([self = shared_from_this(), seq](error_code ec) {
      if (ec || self->closed_ || seq != self->seq_ || !self->awaiting_) return;
      spdlog::warn("http: no answer within {} ms for a request from {}", self->timeout().count(), self->remote_);
      self->send(seq, plain(504, "the handler did not answer in time\n"));
    });

    auto once = std::make_shared<std::atomic<bool>>(false);
    HttpResponder respond = [weak = weak_from_this(), strand = state_->strand, seq, once](HttpResponse res) {
      if (once->exchange(true)) return;
      asio::dispatch(strand, [weak, seq, res = std::move(res)]() mutable {
        if (auto self = weak.lock()) self->send(seq, std::move(res));
      });
    };
    std::string failure;
    try {
      (*match.handler)(req, std::move(respond));
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
    if (!failure.empty()) {
      spdlog::error("http: handler for {} {} threw: {}", req.method, req.path, failure);
      if (!once->exchange(true)) send(seq, plain(500, "internal error\n"));
    }
  }

  // ---- Stream routes: the exchange -------------------------------------------------------------

  void start_exchange(std::uint64_t seq, const HttpRequest& req, const RouteMatch& match);

  bool exchange_is(std::uint64_t seq) const { return !closed_ && seq == seq_ && exchange_open_; }

  // The progress deadline: re-armed whenever the exchange moves.
  void touch() {
    const std::uint64_t seq = seq_;
    timer_.expires_after(timeout());
    timer_.async_wait([self = shared_from_this(), seq](error_code ec) {
      if (ec || self->closed_ || seq != self->seq_ || !self->exchange_open_) return;
      // A piece being read or written has a deadline of its own (a minimum rate): it decides.
      if (self->body_pending_ || self->writing_) return;
      ++self->state_->counters.stream_timeouts;
      const std::string why = "nothing moved for " + std::to_string(self->timeout().count()) + " ms";
      spdlog::warn("http: closing a streamed exchange with {}: {}", self->remote_, why);
      // 504 unless a body read is in flight (one read at a time on the stream: then just close).
      if (!self->begun_ && self->awaiting_ && !self->body_pending_) {
        self->report_closed(why);
        self->release_stream();
        return self->send(seq, plain(504, "the handler did not answer in time\n"));
      }
      self->close_reason_ = why;
      self->close();
    });
  }

  // The exchange ended without the handler finishing it: tell it once, then forget its events.
  void report_closed(const std::string& reason) {
    if (!exchange_open_) return;
    exchange_open_ = false;
    ++state_->counters.streams_closed_early;
    auto on_closed = std::move(events_.on_closed);
    events_ = {};
    if (on_closed) on_closed(reason);
  }

  // The handler is done with the exchange (it answered, ended or aborted): no more events.
  void handler_done() {
    exchange_open_ = false;
    events_ = {};
  }

  void release_stream() {
    if (!counted_) return;
    counted_ = false;
    --state_->open_streams;
    auto it = state_->open_streams_by_address.find(remote_ip_);
    if (it != state_->open_streams_by_address.end() && --it->second == 0) state_->open_streams_by_address.erase(it);
  }

  Error x_read_body(std::size_t max_bytes) {
    if (!body_parser_) return Error::make(BUTTER_E_INVALID, "this route does not stream its request body");
    if (body_done_) return Error::make(BUTTER_E_INVALID, "the request body is complete");
    if (body_pending_) return Error::make(BUTTER_E_AGAIN, "a piece of the body is already asked for");
    if (max_bytes == 0) return Error::make(BUTTER_E_INVALID, "max_bytes is 0");
    body_pending_ = true;
    touch();
    const std::size_t want = std::min(max_bytes, HttpExchange::kMaxChunk);
    if (expect_continue_) {
      // The client waits for this before it sends the body: only once the handler wants it.
      expect_continue_ = false;
      if (begun_) return read_piece(want), Error::ok();  // the answer's head said it all
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, version_);
      stream_.expires_after(timeout());
      writing_ = true;  // the answer waits: one write at a time
      http::async_write(stream_, *cont, [self = shared_from_this(), cont, want](error_code ec, std::size_t) {
        self->writing_ = false;
        if (self->closed_) return;
        if (ec) return self->close();
        self->read_piece(want);
        self->pump();
      });
      return Error::ok();
    }
    read_piece(want);
    return Error::ok();
  }

  void read_piece(std::size_t want) {
    if (body_parser_->is_done()) {
      // Nothing (more) to read: the last, empty piece, delivered later as promised.
      asio::post(state_->strand, [self = shared_from_this(), seq = seq_] {
        if (self->exchange_is(seq)) self->deliver_piece(0, true);
      });
      return;
    }
    chunk_.resize(HttpExchange::kMaxChunk);
    // One deadline for the whole piece, not renewed by each byte: a client must send `want`
    // bytes (or the rest of its body) within the timeout, so trickling bytes holds nothing.
    stream_.expires_after(timeout());
    read_more(want, 0);
  }

  void read_more(std::size_t want, std::size_t have) {
    auto& body = body_parser_->get().body();
    body.data = chunk_.data() + have;
    body.size = want - have;
    http::async_read_some(stream_, buffer_, *body_parser_, [self = shared_from_this(), want, have](error_code ec, std::size_t) {
      if (self->closed_) return;
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return self->on_body_error(ec, want);
      const std::size_t got = want - self->body_parser_->get().body().size;
      const bool last = self->body_parser_->is_done();
      if (got < want && !last) return self->read_more(want, got);  // framing only, or a part: read on
      self->deliver_piece(got, last);
    });
  }

  void deliver_piece(std::size_t got, bool last) {
    body_pending_ = false;
    body_done_ = last;
    if (!exchange_open_) return;
    touch();
    // The piece is handed out from its own buffer: a read_body() from inside on_body starts the
    // next read at once, and Beast parses bytes it already holds straight into chunk_.
    std::swap(chunk_, delivered_);
    auto on_body = events_.on_body;  // a copy: the handler may drop its events from inside
    if (on_body) on_body(std::string_view(delivered_.data(), got), last);
  }

  void on_body_error(error_code ec, std::size_t want) {
    body_pending_ = false;
    const bool can_answer = !begun_ && awaiting_;
    if (ec == http::error::body_limit) {
      report_closed("the request body is over this route's limit");
      release_stream();
      keep_alive_ = false;
      if (can_answer) return send(seq_, plain(413, "request body too large for this route\n"));
      return close();
    }
    if (ec != http::error::end_of_stream && ec != http::error::partial_message && is_parse_error(ec)) {
      report_closed("malformed request body: " + ec.message());
      release_stream();
      keep_alive_ = false;
      if (can_answer) return send(seq_, plain(400, "malformed request body: " + ec.message() + "\n"));
      return close();
    }
    if (ec == beast::error::timeout) {
      ++state_->counters.streams_too_slow;
      close_reason_ = "the client sent less than the " + std::to_string(want) + " bytes asked for within " +
                      std::to_string(timeout().count()) + " ms (too slow)";
      spdlog::debug("http: closing a streamed upload from {}: {}", remote_, close_reason_);
    } else {
      close_reason_ = "the client went away (" + ec.message() + ")";
    }
    close();
  }

  Error x_respond(HttpResponse r) {
    if (begun_) return Error::make(BUTTER_E_INVALID, "the response has begun; write and end it");
    if (r.status < 200 || r.status > 599) return Error::make(BUTTER_E_INVALID, "invalid status " + std::to_string(r.status) + " (200..599)");
    if (r.content_type.find_first_of("\r\n") != std::string::npos) return Error::make(BUTTER_E_INVALID, "CR or LF in the content type");
    handler_done();
    release_stream();
    send(seq_, std::move(r));
    return Error::ok();
  }

  Error x_begin(int status, std::string content_type, std::vector<std::pair<std::string, std::string>> headers,
                std::uint64_t length) {
    if (begun_) return Error::make(BUTTER_E_INVALID, "the response has begun already");
    // A final answer: 1xx would leave the client waiting for another head.
    if (status < 200 || status > 599) return Error::make(BUTTER_E_INVALID, "invalid status " + std::to_string(status) + " (200..599)");
    if (content_type.find_first_of("\r\n") != std::string::npos) return Error::make(BUTTER_E_INVALID, "CR or LF in the content type");
    for (const auto& [k, v] : headers) {
      if (k.find_first_of("\r\n") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) {
        return Error::make(BUTTER_E_INVALID, "CR or LF in a header");
      }
    }
    auto res = std::make_shared<http::response<http::buffer_body>>();
    HttpResponse meta;
    meta.status = status;
    if (!content_type.empty()) meta.content_type = std::move(content_type);
    meta.headers = std::move(headers);
    // The rest of a streamed body we did not read is in the way of a next request.
    if (body_parser_ && !body_parser_->is_done()) keep_alive_ = false;
    try {
      head_fields(*res, meta);
    } catch (const std::exception& e) {
      return Error::make(BUTTER_E_INVALID, e.what());
    }
    if (length == HttpExchange::kUnknownLength) {
      // HTTP/1.0 knows no chunked encoding: the raw body, and the close marks its end.
      if (version_ < 11) keep_alive_ = false, res->keep_alive(false);
      else if (!head_) res->chunked(true);
    } else {
      res->content_length(length);
    }
    res->body().data = nullptr;
    res->body().more = !head_;
    declared_length_ = length;
    begun_ = true;
    awaiting_ = false;
    response_ = res;
    serializer_ = std::make_shared<http::response_serializer<http::buffer_body>>(*res);
    touch();
    pump();
    return Error::ok();
  }

  Error x_write(std::string_view data) {
    if (!begun_) return Error::make(BUTTER_E_INVALID, "begin the response first");
    if (ending_) return Error::make(BUTTER_E_INVALID, "the response was ended");
    if (data.size() > HttpExchange::kWriteWindow) return Error::make(BUTTER_E_INVALID, "a write larger than the window");
    if (declared_length_ != HttpExchange::kUnknownLength && written_ + data.size() > declared_length_) {
      return Error::make(BUTTER_E_INVALID, "more bytes than the Content-Length");
    }
    if (queued_ + data.size() > HttpExchange::kWriteWindow) {
      want_writable_ = true;
      return Error::make(BUTTER_E_AGAIN, "the write window is full");
    }
    written_ += data.size();
    if (head_ || data.empty()) return Error::ok();  // HEAD: the head only
    queue_.emplace_back(data);
    queued_ += data.size();
    pump();
    return Error::ok();
  }

  Error x_end() {
    if (!begun_) return Error::make(BUTTER_E_INVALID, "begin the response first");
    // HEAD sends the head only: its declared length need not be written.
    if (!head_ && declared_length_ != HttpExchange::kUnknownLength && written_ != declared_length_) {
      // A client must not take a short body for a whole one.
      handler_done();
      close_reason_ = "ended short";
      close();
      return Error::make(BUTTER_E_INVALID, "ended after " + std::to_string(written_) + " of " +
                                               std::to_string(declared_length_) + " bytes; the connection is closed");
    }
    handler_done();
    ending_ = true;
    pump();
    return Error::ok();
  }

  void x_abort() {
    handler_done();
    close();
  }

  // The next piece to write: up to kMaxChunk bytes gathered from the front of the queue, so that
  // the write deadline asks the same of the client whatever sizes the handler wrote (64 KiB per
  // request_timeout at least, or all that is queued), and a 1 MiB write is not one long write.
  void fill_piece() {
    while (piece_.size() < HttpExchange::kMaxChunk && !queue_.empty()) {
      const std::string& front = queue_.front();
      const std::size_t n = std::min(HttpExchange::kMaxChunk - piece_.size(), front.size() - front_pos_);
      piece_.insert(piece_.end(), front.data() + front_pos_, front.data() + front_pos_ + n);
      front_pos_ += n;
      if (front_pos_ == front.size()) {
        queue_.pop_front();
        front_pos_ = 0;
      }
    }
  }

  // Writes what is queued, one piece at a time; the head goes first, the end last.
  void pump() {
    if (writing_ || closed_ || !serializer_) return;
    auto& body = response_->body();
    std::size_t piece = 0;
    if (!head_sent_ && (head_ || queue_.empty())) {
      if (head_) {
        if (!ending_) return;  // HEAD: the whole head at once, when the handler ends
        body.data = nullptr;
        body.more = false;
      }
      writing_ = true;
      stream_.expires_after(timeout());
      auto done = [self = shared_from_this()](error_code ec, std::size_t) { self->on_written(ec, 0); };
      if (head_) return http::async_write(stream_, *serializer_, std::move(done));
      // (The head's deadline is the one below; each body piece gets its own.)
      return http::async_write_header(stream_, *serializer_, std::move(done));
    }
    if (!queue_.empty()) {
      fill_piece();
      body.data = piece_.data();
      body.size = piece_.size();
      body.more = true;
      piece = piece_.size();
    } else if (ending_) {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    } else {
      return;
    }
    writing_ = true;
    stream_.expires_after(timeout());
    http::async_write(stream_, *serializer_,
                      [self = shared_from_this(), piece](error_code ec, std::size_t) { self->on_written(ec, piece); });
  }

  void on_written(error_code ec, std::size_t piece) {
    writing_ = false;
    if (closed_) return;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      if (ec == beast::error::timeout) {
        ++state_->counters.streams_too_slow;
        close_reason_ = "the client took less than " + std::to_string(piece ? piece : 1) + " bytes in " +
                        std::to_string(timeout().count()) + " ms (too slow)";
        spdlog::debug("http: closing a streamed answer to {}: {}", remote_, close_reason_);
      } else {
        close_reason_ = "the client went away (" + ec.message() + ")";
      }
      return close();
    }
    head_sent_ = true;
    if (piece > 0) {
      queued_ -= piece;
      piece_.clear();
      if (exchange_open_) touch();
    }
    if (serializer_->is_done()) return on_stream_written();
    if (want_writable_ && exchange_open_ && queued_ <= HttpExchange::kWriteWindow / 2) {
      want_writable_ = false;
      auto on_writable = events_.on_writable;
      if (on_writable) on_writable();
      if (closed_) return;
    }
    pump();
  }

  void on_stream_written() {
    release_stream();
    timer_.cancel();
    if (body_pending_) return close();  // a body read is in flight: no second read to linger with
    if (!keep_alive_ || !response_->keep_alive()) return linger_close();
    await_next();
  }

  // Forgets the previous request's exchange before a new request.
  void reset_exchange() {
    body_parser_.reset();
    events_ = {};
    exchange_open_ = false;
    expect_continue_ = false;
    body_pending_ = body_done_ = false;
    begun_ = ending_ = writing_ = want_writable_ = head_sent_ = false;
    declared_length_ = HttpExchange::kUnknownLength;
    written_ = 0;
    queue_.clear();
    front_pos_ = 0;
    piece_.clear();
    queued_ = 0;
    serializer_.reset();
    response_.reset();
    close_reason_.clear();
  }

  void refuse(std::uint64_t seq, const HttpRequest& req, const GuardVerdict& verdict) {
    auto& c = state_->counters;
    switch (verdict.refusal) {
      case GuardVerdict::Refusal::kHost: ++c.refused_host; break;
      case GuardVerdict::Refusal::kOrigin: ++c.refused_origin; break;
      case GuardVerdict::Refusal::kFetchSite: ++c.refused_fetch_site; break;
      case GuardVerdict::Refusal::kNone: break;
    }
    if (auto line = state_->refusal_log.admit("http: refused " + req.method + " " + req.path.substr(0, 200) + " from " +
                                              remote_ + ": " + verdict.reason)) {
      spdlog::warn("{}", *line);
    }
    send(seq, plain(verdict.status, verdict.reason + "\n"));
  }

  // Writes the answer to request `seq`, if it is still the one awaiting an answer.
  void send(std::uint64_t seq, HttpResponse r) {
    if (closed_ || seq != seq_ || !awaiting_) return;
    awaiting_ = false;
    timer_.cancel();
    if (state_->stopped) return close();
    // A 100 Continue still being written (answered in the same breath as the body was asked for):
    // one write at a time on the stream, so this rare answer is a close instead.
    if (writing_) return close();
    // The rest of a streamed body we did not read is in the way of a next request.
    if (body_parser_ && !body_parser_->is_done()) keep_alive_ = false;
    auto res = std::make_shared<http::response<http::string_body>>();
    try {
      build(*res, std::move(r));
    } catch (const std::exception& e) {
      spdlog::error("http: cannot send the answer to {}: {}", remote_, e.what());
      *res = {};
      build(*res, plain(500, "internal error\n"));
    }
    write(res, !res->keep_alive());
  }

  void build(http::response<http::string_body>& res, HttpResponse r) {
    head_fields(res, r);
    const std::size_t size = r.body.size();
    if (head_) {
      res.content_length(size);
    } else {
      res.body() = std::move(r.body);
      res.prepare_payload();
    }
  }

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

  void write(const std::shared_ptr<http::response<http::string_body>>& res, bool close_after) {
    stream_.expires_after(timeout());
    http::async_write(stream_, *res, [self = shared_from_this(), res, close_after](error_code ec, std::size_t) {
      if (self->closed_) return;
      if (ec) return self->close();
      if (close_after) return self->body_pending_ ? self->close() : self->linger_close();
      self->await_next();
    });
  }

  // Answers a request we cannot serve and closes the connection.
  void fail(int status, std::string body) {
    enter(SessionPhase::kBusy);
    const std::uint64_t seq = ++seq_;
    awaiting_ = true;
    keep_alive_ = false;
    head_ = false;
    if (parser_ && parser_->is_header_done()) version_ = parser_->get().version();
    send(seq, plain(status, std::move(body)));
  }

  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // answer we just wrote before the client reads it. So: stop sending, read and drop what the
  // client still sends for a short while, then close.
  void linger_close() {
    enter(SessionPhase::kClosing);
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min(timeout(), kLingerLimit));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](error_code ec, std::size_t) {
      if (self->closed_) return;
      if (ec) return self->close();
      self->drain();
    });
  }

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
  std::string close_reason_;  // what report_closed() tells the handler when the connection closes
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

void HttpSession::start_exchange(std::uint64_t seq, const HttpRequest& req, const RouteMatch& match) {
  if (state_->open_streams >= state_->options.max_streams) {
    ++state_->counters.streams_refused;
    if (auto line = state_->slots_log.admit("http: " + std::to_string(state_->open_streams) +
                                            " streamed exchanges open; refusing one more with 503")) {
      spdlog::warn("{}", *line);
    }
    HttpResponse r = plain(503, "too many streamed exchanges open; retry later\n");
    r.headers.emplace_back("Retry-After", "1");
    return send(seq, std::move(r));
  }
  auto& from_here = state_->open_streams_by_address[remote_ip_];
  if (from_here >= state_->options.max_streams_per_address) {
    ++state_->counters.streams_refused_per_address;
    if (auto line = state_->slots_log.admit("http: " + std::to_string(from_here) + " streamed exchanges open from " +
                                            remote_ip_ + "; refusing one more with 503")) {
      spdlog::warn("{}", *line);
    }
    HttpResponse r = plain(503, "too many streamed exchanges open from your address; retry later\n");
    r.headers.emplace_back("Retry-After", "1");
    return send(seq, std::move(r));
  }
  ++from_here;
  ++state_->open_streams;
  counted_ = true;
  exchange_open_ = true;
  touch();
  auto exchange = std::make_shared<SessionExchange>(weak_from_this(), seq);
  std::string failure;
  try {
    (*match.stream_handler)(req, exchange);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (failure.empty() || !exchange_is(seq)) return;
  spdlog::error("http: handler for {} {} threw: {}", req.method, req.path, failure);
  if (!begun_) {
    x_respond(plain(500, "internal error\n"));
  } else {
    x_abort();
  }
}

std::shared_ptr<HttpSession> SessionExchange::live() const {
  auto s = session_.lock();
  return s && s->exchange_is(seq_) ? s : nullptr;
}

void SessionExchange::set_events(HttpStreamEvents events) {
  if (auto s = live()) s->events_ = std::move(events);
}
Error SessionExchange::read_body(std::size_t max_bytes) {
  auto s = live();
  return s ? s->x_read_body(max_bytes) : exchange_over();
}
Error SessionExchange::respond(HttpResponse response) {
  auto s = live();
  return s ? s->x_respond(std::move(response)) : exchange_over();
}
Error SessionExchange::begin(int status, std::string content_type, std::vector<std::pair<std::string, std::string>> headers,
                             std::uint64_t length) {
  auto s = live();
  return s ? s->x_begin(status, std::move(content_type), std::move(headers), length) : exchange_over();
}
Error SessionExchange::write(std::string_view data) {
  auto s = live();
  return s ? s->x_write(data) : exchange_over();
}
Error SessionExchange::end() {
  auto s = live();
  return s ? s->x_end() : exchange_over();
}
void SessionExchange::abort() {
  if (auto s = live()) s->x_abort();
}

}  // namespace

void start_session(const std::shared_ptr<ServerState>& state, tcp::socket socket, std::uint64_t id) {
  std::make_shared<HttpSession>(state, std::move(socket), id)->start();
}

}  // namespace butter::host::http_detail
