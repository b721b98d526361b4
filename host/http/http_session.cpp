// One HTTP/1.1 connection (http_session.hpp), its request/answer cycle: read a request head
// (within header_timeout), its body (max_body_bytes, request_timeout), check it against the request
// guard, route it, let the handler answer (now or later, once), write the answer with the security
// headers, then wait up to idle_timeout for the next request while keep-alive. A malformed request
// gets 400 and the connection is closed; an oversized body gets 413 and likewise. The session
// tells the server where it is (SessionPhase), so that at max_connections the cheapest connection
// can be closed for a new one. A request to a stream route is handed to the exchange
// (http_stream_session.cpp) once its head is read.
#include "http/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace butter::host::http_detail {

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

template <class Fields>
std::optional<std::string_view> header_in(const Fields& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

}  // namespace

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

HttpSession::HttpSession(std::shared_ptr<ServerState> state, tcp::socket socket, std::uint64_t id)
    : state_(std::move(state)),
      remote_(format_remote(socket)),
      remote_ip_(remote_address(socket)),
      stream_(std::move(socket)),
      timer_(state_->strand),
      id_(id) {}

void HttpSession::start() {
  state_->sessions[id_] = weak_from_this();
  read_head();
}

void HttpSession::close() {
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

void HttpSession::enter(SessionPhase phase) {
  phase_ = phase;
  since_ = std::chrono::steady_clock::now();
}

// Keep-alive, between requests: wait for the first byte of the next request (idle_timeout), then
// give its head the full header_timeout. Bytes already buffered (a pipelined request) start it.
void HttpSession::await_next() {
  if (closed_) return;
  if (state_->stopped) return close();
  if (buffer_.size() > 0) return read_head();
  if (buffer_.capacity() > kFirstRead) buffer_.shrink_to_fit();  // an idle connection keeps a few KiB
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
void HttpSession::read_head() {
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

void HttpSession::on_header(error_code ec) {
  if (closed_) return;
  if (ec) return on_read_error(ec);
  reading_head_ = false;
  {
    const auto& head = parser_->get();
    std::string path, query;
    split_target(std::string(head.target()), path, query);
    RouteMatch match = state_->router.match(std::string(head.method_string()), path);
    const bool streamed =
        match.kind == RouteMatch::Kind::Found && match.stream_handler && match.stream_options.stream_body;
    const std::uint64_t cap = streamed ? match.stream_options.max_body_bytes : state_->options.max_body_bytes;
    if (cap && parser_->content_length() && *parser_->content_length() > cap) {
      return fail(413, "request body too large (limit " + std::to_string(cap) + " bytes)\n");
    }
    if (streamed) return on_streamed_head(match);
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

void HttpSession::make_room_for_body(std::uint64_t expected) {
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(expected, HttpExchange::kMaxChunk));
  if (want > buffer_.capacity() - buffer_.size()) buffer_.reserve(buffer_.size() + want);
}

void HttpSession::read_body() {
  if (parser_->is_done()) return on_request();
  make_room_for_body(parser_->content_length_remaining().value_or(HttpExchange::kMaxChunk));
  stream_.expires_after(timeout());
  http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
    if (self->closed_) return;
    if (ec) return self->on_read_error(ec);
    self->on_request();
  });
}

void HttpSession::on_read_error(error_code ec) {
  if (ec == http::error::body_limit)
    return fail(413, "request body too large (limit " + std::to_string(state_->options.max_body_bytes) + " bytes)\n");
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
void HttpSession::on_request() {
  if (state_->stopped) return close();
  auto msg = parser_->release();
  HttpRequest req = describe(msg);
  req.body = std::move(msg.body());
  RouteMatch match = state_->router.match(req.method, req.path);
  dispatch(std::move(req), match);
}

void HttpSession::dispatch(HttpRequest req, const RouteMatch& match) {
  enter(SessionPhase::kBusy);
  const std::uint64_t seq = ++seq_;
  awaiting_ = true;

  // Before any route, so that no plugin can forget it.
  GuardVerdict verdict = check_request(
      state_->identity, RequestFacts{req.method, header_in(req.headers, "Host"), header_in(req.headers, "Origin"),
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

void HttpSession::refuse(std::uint64_t seq, const HttpRequest& req, const GuardVerdict& verdict) {
  auto& c = state_->counters;
  switch (verdict.refusal) {
    case GuardVerdict::Refusal::kHost:
      ++c.refused_host;
      break;
    case GuardVerdict::Refusal::kOrigin:
      ++c.refused_origin;
      break;
    case GuardVerdict::Refusal::kFetchSite:
      ++c.refused_fetch_site;
      break;
    case GuardVerdict::Refusal::kNone:
      break;
  }
  if (auto line = state_->refusal_log.admit("http: refused " + req.method + " " + req.path.substr(0, 200) + " from " +
                                            remote_ + ": " + verdict.reason)) {
    spdlog::warn("{}", *line);
  }
  send(seq, plain(verdict.status, verdict.reason + "\n"));
}

// Writes the answer to request `seq`, if it is still the one awaiting an answer.
void HttpSession::send(std::uint64_t seq, HttpResponse r) {
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

void HttpSession::build(http::response<http::string_body>& res, HttpResponse r) {
  head_fields(res, r);
  const std::size_t size = r.body.size();
  if (head_) {
    res.content_length(size);
  } else {
    res.body() = std::move(r.body);
    res.prepare_payload();
  }
}

void HttpSession::write(const std::shared_ptr<http::response<http::string_body>>& res, bool close_after) {
  stream_.expires_after(timeout());
  http::async_write(stream_, *res, [self = shared_from_this(), res, close_after](error_code ec, std::size_t) {
    if (self->closed_) return;
    if (ec) return self->close();
    if (close_after) return self->body_pending_ ? self->close() : self->linger_close();
    self->await_next();
  });
}

// Answers a request we cannot serve and closes the connection.
void HttpSession::fail(int status, std::string body) {
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
void HttpSession::linger_close() {
  enter(SessionPhase::kClosing);
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.expires_after(std::min(timeout(), kLingerLimit));
  drain();
}

void HttpSession::drain() {
  stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](error_code ec, std::size_t) {
    if (self->closed_) return;
    if (ec) return self->close();
    self->drain();
  });
}

void start_session(const std::shared_ptr<ServerState>& state, tcp::socket socket, std::uint64_t id) {
  std::make_shared<HttpSession>(state, std::move(socket), id)->start();
}

}  // namespace butter::host::http_detail
