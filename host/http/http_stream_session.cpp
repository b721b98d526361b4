// The exchange of a stream route on one connection (http_session.hpp, http_exchange.hpp): a
// streamed body is chosen from the head and pulled piece by piece through a buffer_body parser; a
// streamed answer goes out through a buffer_body serializer from a queue bounded by the write
// window. Their deadline is one of progress, re-armed whenever anything moves, so a long transfer
// is never cut while it moves; but each piece read (up to 64 KiB asked for) or written (up to
// 64 KiB) has one deadline of its own, so progress has a minimum rate (no slow loris).
// SessionExchange is the handle the route's handler holds; it checks every call against the
// session's current request, so a handle kept past its exchange does nothing.
#include "http/http_session.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace butter::host::http_detail {

namespace {
Error exchange_over() { return Error::make(BUTTER_E_NOT_FOUND, "the exchange is over"); }
}  // namespace

// The head of a request to a route that streams its body: the body stays on the socket until
// the handler pulls it.
void HttpSession::on_streamed_head(const RouteMatch& match) {
  if (state_->stopped) return close();
  expect_continue_ = beast::iequals(parser_->get()[http::field::expect], "100-continue");
  body_parser_.emplace(std::move(*parser_));
  // After the move: the converted parser does not keep the head parser's limit.
  const std::uint64_t cap = match.stream_options.max_body_bytes;
  body_parser_->body_limit(cap ? boost::optional<std::uint64_t>(cap) : boost::none);
  HttpRequest req = describe(body_parser_->get());
  dispatch(std::move(req), match);
}

// The progress deadline: re-armed whenever the exchange moves.
void HttpSession::touch() {
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
void HttpSession::report_closed(const std::string& reason) {
  if (!exchange_open_) return;
  exchange_open_ = false;
  ++state_->counters.streams_closed_early;
  auto on_closed = std::move(events_.on_closed);
  events_ = {};
  if (on_closed) on_closed(reason);
}

// The handler is done with the exchange (it answered, ended or aborted): no more events.
void HttpSession::handler_done() {
  exchange_open_ = false;
  events_ = {};
}

void HttpSession::release_stream() {
  if (!counted_) return;
  counted_ = false;
  --state_->open_streams;
  auto it = state_->open_streams_by_address.find(remote_ip_);
  if (it != state_->open_streams_by_address.end() && --it->second == 0) state_->open_streams_by_address.erase(it);
}

Error HttpSession::x_read_body(std::size_t max_bytes) {
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

void HttpSession::read_piece(std::size_t want) {
  if (body_parser_->is_done()) {
    // Nothing (more) to read: the last, empty piece, delivered later as promised.
    asio::post(state_->strand, [self = shared_from_this(), seq = seq_] {
      if (self->exchange_is(seq)) self->deliver_piece(0, true);
    });
    return;
  }
  chunk_.resize(HttpExchange::kMaxChunk);
  make_room_for_body(body_parser_->content_length_remaining().value_or(HttpExchange::kMaxChunk));
  // One deadline for the whole piece, not renewed by each byte: a client must send `want`
  // bytes (or the rest of its body) within the timeout, so trickling bytes holds nothing.
  stream_.expires_after(timeout());
  read_more(want, 0);
}

void HttpSession::read_more(std::size_t want, std::size_t have) {
  auto& body = body_parser_->get().body();
  body.data = chunk_.data() + have;
  body.size = want - have;
  http::async_read_some(stream_, buffer_, *body_parser_,
                        [self = shared_from_this(), want, have](error_code ec, std::size_t) {
                          if (self->closed_) return;
                          if (ec == http::error::need_buffer) ec = {};
                          if (ec) return self->on_body_error(ec, want);
                          const std::size_t got = want - self->body_parser_->get().body().size;
                          ++self->state_->counters.stream_body_reads;
                          self->state_->counters.stream_body_bytes += got - have;
                          const bool last = self->body_parser_->is_done();
                          if (got < want && !last)
                            return self->read_more(want, got);  // framing only, or a part: read on
                          self->deliver_piece(got, last);
                        });
}

void HttpSession::deliver_piece(std::size_t got, bool last) {
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

void HttpSession::on_body_error(error_code ec, std::size_t want) {
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

Error HttpSession::x_respond(HttpResponse r) {
  if (begun_) return Error::make(BUTTER_E_INVALID, "the response has begun; write and end it");
  if (r.status < 200 || r.status > 599)
    return Error::make(BUTTER_E_INVALID, "invalid status " + std::to_string(r.status) + " (200..599)");
  if (r.content_type.find_first_of("\r\n") != std::string::npos)
    return Error::make(BUTTER_E_INVALID, "CR or LF in the content type");
  handler_done();
  release_stream();
  send(seq_, std::move(r));
  return Error::ok();
}

Error HttpSession::x_begin(int status, std::string content_type,
                           std::vector<std::pair<std::string, std::string>> headers, std::uint64_t length) {
  if (begun_) return Error::make(BUTTER_E_INVALID, "the response has begun already");
  // A final answer: 1xx would leave the client waiting for another head.
  if (status < 200 || status > 599)
    return Error::make(BUTTER_E_INVALID, "invalid status " + std::to_string(status) + " (200..599)");
  if (content_type.find_first_of("\r\n") != std::string::npos)
    return Error::make(BUTTER_E_INVALID, "CR or LF in the content type");
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
    if (version_ < 11)
      keep_alive_ = false, res->keep_alive(false);
    else if (!head_)
      res->chunked(true);
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

Error HttpSession::x_write(std::string_view data) {
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

Error HttpSession::x_end() {
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

void HttpSession::x_abort() {
  handler_done();
  close();
}

// The next piece to write: up to kMaxChunk bytes gathered from the front of the queue, so that
// the write deadline asks the same of the client whatever sizes the handler wrote (64 KiB per
// request_timeout at least, or all that is queued), and a 1 MiB write is not one long write.
void HttpSession::fill_piece() {
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
void HttpSession::pump() {
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

void HttpSession::on_written(error_code ec, std::size_t piece) {
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

void HttpSession::on_stream_written() {
  release_stream();
  timer_.cancel();
  if (body_pending_) return close();  // a body read is in flight: no second read to linger with
  if (!keep_alive_ || !response_->keep_alive()) return linger_close();
  await_next();
}

// Forgets the previous request's exchange before a new request.
void HttpSession::reset_exchange() {
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
Error SessionExchange::begin(int status, std::string content_type,
                             std::vector<std::pair<std::string, std::string>> headers, std::uint64_t length) {
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

}  // namespace butter::host::http_detail
