// HttpServer: binding, the accept loop, stop. Sessions (Beast) are in http_session.cpp.
#include "http/http_server.hpp"

#include "http/listen_address.hpp"
#include "http/server_state.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace butter::host {

namespace asio = boost::asio;
using asio::ip::tcp;
using http_detail::ServerState;

class HttpServerImpl {
 public:
  std::shared_ptr<ServerState> state;
  std::string url;
  bool started = false;
};

namespace {

void accept_next(const std::shared_ptr<ServerState>& state);

// After an accept error other than cancellation (say EMFILE), pause briefly rather than spin.
void accept_later(const std::shared_ptr<ServerState>& state) {
  auto timer = std::make_shared<asio::steady_timer>(state->strand, std::chrono::milliseconds(100));
  timer->async_wait([state, timer](const boost::system::error_code&) { accept_next(state); });
}

// At max_connections: closes the connection that is cheapest to lose (eviction.hpp) so that a new
// one can be served; false when every connection is being answered.
bool make_room(ServerState& state) {
  std::vector<http_detail::SessionView> views;
  std::unordered_map<std::uint64_t, std::shared_ptr<http_detail::Session>> live;
  for (auto& [id, weak] : state.sessions) {
    if (auto s = weak.lock()) {
      views.push_back(s->view());
      live.emplace(views.back().id, std::move(s));
    }
  }
  auto victim = http_detail::pick_eviction(views);
  if (!victim) return false;
  live.at(*victim)->close();
  // A session that went away without erasing itself must not hold a slot either.
  std::erase_if(state.sessions, [](const auto& entry) { return entry.second.expired(); });
  ++state.counters.connections_evicted;
  if (auto line = state.slots_log.admit("http: " + std::to_string(state.options.max_connections) +
                                        " connections open; closed the longest idle one to admit a new one")) {
    spdlog::info("{}", *line);
  }
  return state.sessions.size() < state.options.max_connections;
}

void accept_next(const std::shared_ptr<ServerState>& state) {
  if (state->stopped || !state->acceptor || !state->acceptor->is_open()) return;
  state->acceptor->async_accept([state](const boost::system::error_code& ec, tcp::socket socket) {
    if (state->stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("http: accept failed: {}", ec.message());
      accept_later(state);
      return;
    }
    if (state->sessions.size() < state->options.max_connections || make_room(*state)) {
      http_detail::start_session(state, std::move(socket), state->next_session_id++);
    } else {
      ++state->counters.connections_refused;
      if (auto line = state->slots_log.admit("http: " + std::to_string(state->sessions.size()) +
                                             " connections open and all being answered; refusing one more")) {
        spdlog::warn("{}", *line);
      }
      boost::system::error_code ignored;
      socket.close(ignored);
    }
    accept_next(state);
  });
}

void close_all(const std::shared_ptr<ServerState>& state) {
  boost::system::error_code ignored;
  if (state->acceptor) state->acceptor->close(ignored);
  std::vector<std::shared_ptr<http_detail::Session>> open;
  for (auto& [id, weak] : state->sessions) {
    if (auto s = weak.lock()) open.push_back(std::move(s));
  }
  for (auto& s : open) s->close();
  state->sessions.clear();
}

}  // namespace

HttpServer::HttpServer(IoContext& /*io*/, Strand strand, HttpServerOptions options)
    : impl_(std::make_unique<HttpServerImpl>()) {
  impl_->state = std::make_shared<ServerState>(std::move(strand), std::move(options));
}

HttpServer::~HttpServer() {
  // A destructor that throws terminates the process: whatever stop() meets is logged instead.
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("HTTP server stopping: {}", e.what());
  } catch (...) {
    spdlog::error("HTTP server stopping: unknown exception");
  }
}

Error HttpServer::start() {
  auto& state = impl_->state;
  if (state->stopped) return Error::make(BUTTER_E_INVALID, "the HTTP server was stopped; make a new one");
  if (impl_->started) return Error::make(BUTTER_E_INVALID, "the HTTP server is already started");
  const std::string& text = state->options.endpoint;

  std::string why;
  auto hp = http_detail::split_host_port(text, why);
  if (!hp) return Error::make(BUTTER_E_INVALID, "invalid HTTP endpoint \"" + text + "\": " + why);

  boost::system::error_code ec;
  tcp::endpoint local;
  auto addr = asio::ip::make_address(hp->host, ec);
  if (!ec) {
    local = tcp::endpoint(addr, hp->port);
  } else {
    // Binding happens once at start; a blocking lookup (of "localhost" at most) is fine.
    tcp::resolver resolver(state->strand);
    auto results = resolver.resolve(hp->host, std::to_string(hp->port), tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      return Error::make(BUTTER_E_INVALID, "cannot listen on " + text + ": cannot resolve \"" + hp->host +
                                               "\": " + (ec ? ec.message() : std::string("no address")));
    }
    local = results.begin()->endpoint();
  }

  // Nothing else touches the acceptor before the first accept, which is dispatched to the strand.
  state->acceptor.emplace(state->strand);
  auto& acc = *state->acceptor;
  acc.open(local.protocol(), ec);
  if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acc.bind(local, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) local = acc.local_endpoint(ec);
  if (ec) {
    boost::system::error_code ignored;
    acc.close(ignored);
    state->acceptor.reset();
    return Error::make(BUTTER_E_UNAVAILABLE, "cannot listen on " + text + ": " + ec.message());
  }
  impl_->url = http_detail::http_url_for(local.address().to_string(), local.address().is_v6(), local.port());
  state->identity =
      http_detail::make_identity(hp->host, local.address().to_string(), local.port(), state->options.allowed_hosts);
  impl_->started = true;
  spdlog::debug("http: listening on {}", impl_->url);
  asio::dispatch(state->strand, [state] { accept_next(state); });
  return Error::ok();
}

void HttpServer::stop() {
  auto& state = impl_->state;
  if (state->stopped.exchange(true)) return;
  state->router.clear();
  // Sockets belong to the strand: close them there (now if we are on it, else as soon as it runs).
  asio::dispatch(state->strand, [state] { close_all(state); });
}

std::string HttpServer::url() const { return impl_->url; }

const HttpServerOptions& HttpServer::options() const { return impl_->state->options; }

HttpServerStats HttpServer::stats() const {
  const auto& c = impl_->state->counters;
  HttpServerStats s;
  s.refused_host = c.refused_host;
  s.refused_origin = c.refused_origin;
  s.refused_fetch_site = c.refused_fetch_site;
  s.connections_evicted = c.connections_evicted;
  s.connections_refused = c.connections_refused;
  s.header_timeouts = c.header_timeouts;
  s.idle_timeouts = c.idle_timeouts;
  s.streams_refused = c.streams_refused;
  s.stream_timeouts = c.stream_timeouts;
  s.streams_closed_early = c.streams_closed_early;
  s.streams_refused_per_address = c.streams_refused_per_address;
  s.streams_too_slow = c.streams_too_slow;
  s.stream_body_reads = c.stream_body_reads;
  s.stream_body_bytes = c.stream_body_bytes;
  return s;
}

std::uint64_t HttpServer::add_route(const std::string& method, const std::string& path, bool prefix,
                                    HttpHandler handler) {
  if (impl_->state->stopped) return 0;
  return impl_->state->router.add(method, path, prefix, std::move(handler));
}

std::uint64_t HttpServer::add_stream_route(const std::string& method, const std::string& path, bool prefix,
                                           StreamRouteOptions options, HttpStreamHandler handler) {
  if (impl_->state->stopped) return 0;
  return impl_->state->router.add_stream(method, path, prefix, options, std::move(handler));
}

void HttpServer::remove_route(std::uint64_t id) { impl_->state->router.remove(id); }

}  // namespace butter::host
