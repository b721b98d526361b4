// One HTTP/1.1 connection (Boost.Beast), on the server's strand: read a request head (within
// header_timeout), its body (max_body_bytes, request_timeout), check it against the request guard,
// route it, let the handler answer (now or later, once), write the answer with the security
// headers, then wait up to idle_timeout for the next request while keep-alive. A malformed request
// gets 400 and the connection is closed; an oversized body gets 413 and likewise. The session
// tells the server where it is (SessionPhase), so that at max_connections the cheapest connection
// can be closed for a new one. The only translation unit of the server that includes Beast.
#include "http/security_headers.hpp"
#include "http/server_state.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <array>
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

class HttpSession final : public Session, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::shared_ptr<ServerState> state, tcp::socket socket, std::uint64_t id)
      : state_(std::move(state)),
        remote_(format_remote(socket)),
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
    parser_.emplace();
    parser_->body_limit(state_->options.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(state_->options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (closed_) return;
    if (ec) return on_read_error(ec);
    reading_head_ = false;
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

  void on_request() {
    if (state_->stopped) return close();
    enter(SessionPhase::kBusy);
    auto msg = parser_->release();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    split_target(req.target, req.path, req.query);
    for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    req.remote = remote_;
    head_ = msg.method() == http::verb::head;
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    const std::uint64_t seq = ++seq_;
    awaiting_ = true;

    // Before any route, so that no plugin can forget it.
    GuardVerdict verdict = check_request(state_->identity, RequestFacts{req.method, header_of(msg, "Host"),
                                                                        header_of(msg, "Origin"),
                                                                        header_of(msg, "Sec-Fetch-Site")});
    if (!verdict.allowed()) return refuse(seq, req, verdict);

    RouteMatch match = state_->router.match(req.method, req.path);
    if (match.kind == RouteMatch::Kind::NotFound) return send(seq, plain(404, "not found\n"));
    if (match.kind == RouteMatch::Kind::MethodNotAllowed) {
      HttpResponse r = plain(405, "method not allowed\n");
      r.headers.emplace_back("Allow", match.allow);
      return send(seq, std::move(r));
    }

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

  static std::optional<std::string_view> header_of(const http::request<http::string_body>& msg, std::string_view name) {
    auto it = msg.find(name);
    if (it == msg.end()) return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
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
    const std::size_t size = r.body.size();
    if (head_) {
      res.content_length(size);
    } else {
      res.body() = std::move(r.body);
      res.prepare_payload();
    }
  }

  void write(const std::shared_ptr<http::response<http::string_body>>& res, bool close_after) {
    stream_.expires_after(timeout());
    http::async_write(stream_, *res, [self = shared_from_this(), res, close_after](error_code ec, std::size_t) {
      if (self->closed_) return;
      if (ec) return self->close();
      if (close_after) return self->linger_close();
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
};

}  // namespace

void start_session(const std::shared_ptr<ServerState>& state, tcp::socket socket, std::uint64_t id) {
  std::make_shared<HttpSession>(state, std::move(socket), id)->start();
}

}  // namespace butter::host::http_detail
