// TransportImpl, part 1: lifecycle, listeners, connection events, limits. Routing and dialling are
// in transport_route.cpp; messaging (send, request, reply, inbound frames) in
// transport_messages.cpp; dialers and streams that plugins supply in transport_plugin_streams.cpp.
// The state of each concept lives in its own class: connection_table.*, pending_requests.*,
// punches.*.
#include "transport/transport_impl.hpp"

#include "transport/dialer_pipe.hpp"
#include "transport/tcp_pipe.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>

namespace butter::host {

namespace asio = boost::asio;
using asio::ip::tcp;

TransportOptions TransportImpl::with_identity(TransportOptions o) {
  if (!o.identity && (!o.plaintext || o.self == NodeId{}))
    o.identity = std::make_shared<const Identity>(Identity::generate());
  if (o.identity) o.self = o.identity->id();
  return o;
}

TransportImpl::TransportImpl(IoContext& io, Strand strand, TransportOptions options, TransportHandlers handlers)
    : io_(io),
      strand_(std::move(strand)),
      opts_(with_identity(std::move(options))),
      handlers_(std::move(handlers)),
      log_("[transport " + opts_.self.short_hex() + "]"),
      limits_({opts_.max_connections, opts_.max_connections_per_peer, opts_.max_handshakes_per_address,
               opts_.max_handshakes_per_second, opts_.clock}),
      conn_manager_({opts_.connections_low_water, opts_.connections_high_water, opts_.connection_grace(),
                     opts_.connection_idle()},
                    std::max<std::size_t>(opts_.max_connections, 16)),
      table_(opts_.self),
      pending_(strand_, log_, stats_.requests_timed_out),
      punches_(strand_, PunchBudgetLimits::limits_of(opts_), opts_.clock, stats_, log_,
               [this](const NodeId& peer, std::shared_ptr<TcpPipe> pipe, const std::string& uri) {
                 adopt_punched(peer, std::move(pipe), false, uri);
               }),
      book_(std::max<std::size_t>(opts_.max_known_addresses, 16)) {
  memory_.limit = opts_.memory_limit;
}

TransportImpl::~TransportImpl() {
  // A destructor that throws terminates the process: whatever stop() meets is logged instead.
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("{} stopping: {}", log_, e.what());
  } catch (...) {
    spdlog::error("{} stopping: unknown exception", log_);
  }
}

Error TransportImpl::start() {
  if (stopped_) return Error::make(BUTTER_E_INVALID, "transport was stopped; make a new one");
  if (started_) return Error::make(BUTTER_E_INVALID, "transport already started");
  if (opts_.plaintext)
    spdlog::warn(
        "{} PLAINTEXT transport (insecure_plaintext): connections are neither encrypted nor "
        "authenticated; for debugging only",
        log_);
  for (const auto& uri : opts_.listen) {
    std::string why;
    auto ep = parse_endpoint(uri, why);
    Error err;
    if (!ep) {
      err = Error::make(BUTTER_E_INVALID, why);
    } else if (ep->scheme != "tcp") {
      err = Error::make(BUTTER_E_UNSUPPORTED, "cannot listen on '" + uri + "': only tcp:// endpoints can be bound");
    } else {
      boost::system::error_code ec;
      tcp::resolver resolver(strand_);
      // Listening happens once at start; a blocking lookup (of "localhost" at most) is fine.
      auto results = resolver.resolve(ep->host, std::to_string(ep->port), tcp::resolver::numeric_service, ec);
      if (ec || results.empty()) {
        err = Error::make(BUTTER_E_INVALID, "cannot resolve '" + uri + "': " + ec.message());
      } else {
        auto acceptor = std::make_shared<tcp::acceptor>(strand_);
        tcp::endpoint local = results.begin()->endpoint();
        // SO_REUSEPORT (below) would also let a second node bind this very port and silently
        // share its connections: bind first without it, so that a port in use is refused as
        // before (and port 0 becomes a free port of our own), then bind again with it.
        {
          tcp::acceptor probe(strand_);
          probe.open(local.protocol(), ec);
          if (!ec) probe.set_option(tcp::acceptor::reuse_address(true), ec);
          if (!ec) probe.bind(local, ec);
          if (!ec) local = probe.local_endpoint(ec);
          boost::system::error_code ignored;
          probe.close(ignored);
        }
        if (!ec) acceptor->open(local.protocol(), ec);
        if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
        // Hole punching dials from the listen port (punch_connector.hpp): the kernel lets a
        // connecting socket share the port of a listener only when both set SO_REUSEPORT.
        if (!ec) acceptor->set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
        if (!ec) acceptor->bind(local, ec);
        if (!ec) acceptor->listen(listen_backlog(), ec);
        if (!ec) local = acceptor->local_endpoint(ec);
        if (ec) {
          err = Error::make(BUTTER_E_UNAVAILABLE, "cannot listen on '" + uri + "': " + ec.message());
        } else {
          acceptors_.push_back(acceptor);
          listen_addresses_.push_back(local.address());
          listen_uris_.push_back(format_tcp_endpoint(local.address().to_string(), local.port()));
          spdlog::debug("{} listening on {}", log_, listen_uris_.back());
        }
      }
    }
    if (err) {
      for (auto& a : acceptors_) {
        boost::system::error_code ignored;
        a->close(ignored);
      }
      acceptors_.clear();
      listen_uris_.clear();
      listen_addresses_.clear();
      return err;
    }
  }
  started_ = true;
  for (auto& a : acceptors_) accept_next(a);
  return Error::ok();
}

int TransportImpl::listen_backlog() const {
  // About half a hello_timeout's worth of handshakes at the allowed rate: a connection accepted
  // from the back of the queue still has time to finish before its dialer gives up on it.
  const double half_timeout_s = std::chrono::duration<double>(opts_.hello_timeout).count() / 2;
  const double n = static_cast<double>(opts_.max_handshakes_per_second) * half_timeout_s;
  return static_cast<int>(std::clamp(n, 64.0, static_cast<double>(asio::socket_base::max_listen_connections)));
}

void TransportImpl::accept_next(const std::shared_ptr<tcp::acceptor>& acceptor) {
  if (auto wait = limits_.handshake_wait(); wait.count() > 0) {
    // The handshake bucket is empty: leave newcomers in the listen backlog until a token is back
    // (the wait is at most 1/rate; capped so that a test's frozen clock cannot stall forever).
    ++stats_.accepts_deferred;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_defer_log_ >= ConnectionLimits::kLogInterval) {
      last_defer_log_ = now;
      spdlog::info(
          "{} max_handshakes_per_second ({}) reached: accepting slower, newcomers wait in the listen "
          "backlog ({} deferrals so far)",
          log_, opts_.max_handshakes_per_second, stats_.accepts_deferred);
    }
    auto timer = std::make_shared<asio::steady_timer>(
        strand_, std::min<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(100)));
    timer->async_wait([this, w = alive(), acceptor, timer](boost::system::error_code ec) {
      if (!ec && !w.expired() && !stopped_) accept_next(acceptor);
    });
    return;
  }
  auto socket = std::make_shared<tcp::socket>(strand_);
  acceptor->async_accept(*socket, [this, w = alive(), acceptor, socket](boost::system::error_code ec) {
    if (w.expired() || stopped_) return;
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors and the like: retry a little later instead of spinning.
      spdlog::warn("{} accept failed: {}; retrying", log_, ec.message());
      auto timer = std::make_shared<asio::steady_timer>(strand_, std::chrono::milliseconds(100));
      timer->async_wait([this, w, acceptor, timer](boost::system::error_code ec2) {
        if (!ec2 && !w.expired() && !stopped_) accept_next(acceptor);
      });
      return;
    }
    // Limits first, before any crypto: a refused connection costs an accept and a close.
    boost::system::error_code ep_ec;
    auto remote = socket->remote_endpoint(ep_ec);
    const std::string address = ep_ec ? std::string() : remote.address().to_string();
    if (ep_ec) {
      socket->close(ep_ec);  // the peer is already gone
    } else if (auto r = admit_inbound(address); r != ConnectionLimits::Refusal::kNone) {
      refuse(r, "inbound connection from " + address);
      socket->close(ep_ec);
    } else if (auto punched = punches_.punch_for(remote)) {
      // The SYN of a node this one is punching to reached the listener (its NAT let our SYN
      // through first, or there is no NAT): that is the punch's connection, with its roles.
      auto c_pipe = std::make_shared<TcpPipe>(std::move(*socket));
      adopt_punched(*punched, std::move(c_pipe), true, format_tcp_endpoint(address, remote.port()));
      if (auto c = table_.find(punches_.connection_of(*punched))) {
        c->handshake_counted = true;
        c->handshake_address = address;
      }
    } else {
      auto c = new_connection(false, {});
      c->handshake_counted = true;
      c->handshake_address = address;
      c->attach(std::make_shared<TcpPipe>(std::move(*socket)), encode_hello(our_hello()), security());
    }
    accept_next(acceptor);
  });
}

void TransportImpl::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& a : acceptors_) {
    boost::system::error_code ec;
    a->close(ec);
  }
  acceptors_.clear();
  for (auto& [id, c] : table_.clear()) c->detach_and_close();
  // Callbacks last: they may call back into us, and must find a transport that is fully stopped.
  static const std::string text = "transport stopped";
  auto owed_responses = pending_.stop(text);
  auto waiters = table_.take_all_waiters();
  auto owed_punches = punches_.stop(text);
  for (auto& call : owed_responses) call();
  for (auto& done : waiters) guarded("connect", [&] { done(Error::make(BUTTER_E_CANCELLED, text), NodeId{}); });
  for (auto& call : owed_punches) call();
  spdlog::debug("{} stopped", log_);
}

Hello TransportImpl::our_hello() const {
  Hello h;
  h.id = opts_.self;
  h.endpoints = announced_endpoints();
  return h;
}

PeerInfo TransportImpl::info(const Connection& c) const {
  const bool relayed = !c.scheme.empty();
  const char* how = c.punched ? "punched"
                    : relayed ? (c.outbound() ? "relayed-out" : "relayed-in")
                              : (c.outbound() ? "dialled" : "accepted");
  return PeerInfo{c.peer().id, c.peer().endpoints, c.remote_address(), c.outbound(), how, relayed, c.local_address()};
}

TransportImpl::ConnPtr TransportImpl::new_connection(bool outbound, const std::string& uri) {
  Connection::Limits limits{opts_.max_frame_bytes, opts_.max_queued_bytes_per_connection,
                            opts_.hello_timeout,   opts_.connection_idle(),
                            opts_.frame_deadline,  opts_.frame_min_rate};
  auto c =
      std::make_shared<Connection>(strand_, this, &stats_, &memory_, table_.next_id(), outbound, uri, limits, log_);
  table_.add(c);
  ++stats_.connections_opened;
  return c;
}

bool TransportImpl::is_own_endpoint(const std::string& uri) const {
  if (self_uris_.count(uri)) return true;
  for (const auto& l : listen_uris_)
    if (l == uri) return true;
  return false;
}

void TransportImpl::connection_hello(Connection& c, const Hello& hello) {
  auto self = c.shared_from_this();
  if (hello.id == opts_.self) {
    if (c.outbound() && !c.dial_uri().empty() && self_uris_.size() < kMaxSelfUris) self_uris_.insert(c.dial_uri());
    spdlog::warn("{} closing connection to {}: it is this node (self-connection)", log_, c.remote_address());
    return c.close("self-connection refused");
  }
  if (c.expected_id && *c.expected_id != hello.id) {
    auto why = "dialled node " + c.expected_id->short_hex() + " but " + hello.id.short_hex() + " answered";
    spdlog::warn("{} closing connection to {}: {}", log_, c.remote_address(), why);
    return c.close(why);
  }
  if (auto r = limits_.admit_peer(table_.up_count(hello.id)); r != ConnectionLimits::Refusal::kNone) {
    refuse(r, std::string(c.outbound() ? "outbound" : "inbound") + " connection " + c.remote_address() + " to node " +
                  hello.id.short_hex());
    if (!c.dial_uri().empty()) book_.learn_uri(c.dial_uri(), hello.id);  // next time, use those we have
    return c.close("too many connections to node " + hello.id.short_hex() + ": " + limits_.explain(r));
  }
  table_.dial_ended(c);

  release_handshake(c);
  c.mark_up(hello);
  const bool first = table_.add_up(c, hello.id);
  book_.add(hello.id, hello.endpoints, false);
  for (std::size_t i = 0; i < hello.endpoints.size() && i < AddressBook::kMaxEndpointsPerNode; ++i) {
    const auto& e = hello.endpoints[i];
    // A relay:// endpoint names a path, not just the node: a caller naming it wants that path (the
    // node's new ambassador), not whichever connection to the node is open (perhaps through an
    // ambassador gone silent). Only tcp:// endpoints let a send to the URI reuse any connection.
    if (e.rfind("tcp://", 0) == 0) book_.learn_uri(e, hello.id);
  }
  if (!c.dial_uri().empty()) book_.learn_uri(c.dial_uri(), hello.id);
  pending_.peer_known(c.id(), hello.id);
  spdlog::debug("{} {} connection {} to {} at {}", log_, c.outbound() ? "outbound" : "inbound", c.id(),
                hello.id.short_hex(), c.remote_address());

  if (!first) close_duplicates(hello.id);
  if (first) maybe_trim();
  if (first && handlers_.on_peer_up) {
    auto pi = info(c);
    guarded("on_peer_up", [&] { handlers_.on_peer_up(pi); });
  }
  for (auto& done : table_.take_waiters(c.id())) guarded("connect", [&] { done(Error::ok(), hello.id); });
}

void TransportImpl::connection_closed(Connection& c, const std::string& reason) {
  if (stopped_) return;
  auto self = c.shared_from_this();
  ++stats_.connections_closed;
  const bool last = table_.remove(c);
  release_handshake(c);

  NodeId peer;
  if (c.up()) {
    peer = c.peer().id;
    spdlog::debug("{} connection {} to {} closed: {}", log_, c.id(), peer.short_hex(), reason);
  } else {
    spdlog::debug("{} connection {} to {} closed before HELLO: {}", log_, c.id(), c.remote_address(), reason);
  }

  const std::string text = "connection closed: " + reason;
  pending_.fail_connection(c.id(), text);
  if (stopped_) return;
  for (auto& done : table_.take_waiters(c.id()))
    guarded("connect", [&] { done(Error::make(BUTTER_E_UNAVAILABLE, text), NodeId{}); });
  if (stopped_) return;
  if (last && handlers_.on_peer_down) guarded("on_peer_down", [&] { handlers_.on_peer_down(peer, reason); });
}

bool TransportImpl::connection_may_idle_close(Connection& c) {
  if (connection_busy(c)) return false;
  if (c.up() && conn_manager_.is_protected(c.peer().id)) return false;  // in use by a plugin
  // Idleness alone never takes a node down to low_water peers or fewer: a node whose only peers
  // are quiet (no membership plugin talking, a two-node setup) would otherwise lose the paths its
  // plugins need and have nothing to dial them back from.
  if (c.up() && table_.peer_count() <= opts_.connections_low_water) return false;
  ++stats_.idle_closed;
  return true;
}

void TransportImpl::disconnect(const NodeId& id, const std::string& reason) {
  for (auto& c : table_.to_node(id)) c->close(reason);
}

void TransportImpl::refuse(ConnectionLimits::Refusal r, const std::string& what) {
  ++stats_.connections_refused;
  switch (r) {
    case ConnectionLimits::Refusal::kMaxConnections:
      ++stats_.refused_max_connections;
      break;
    case ConnectionLimits::Refusal::kPerPeer:
      ++stats_.refused_per_peer;
      break;
    case ConnectionLimits::Refusal::kPerAddress:
      ++stats_.refused_per_address;
      break;
    case ConnectionLimits::Refusal::kHandshakeRate:
      ++stats_.refused_handshake_rate;
      break;
    case ConnectionLimits::Refusal::kNone:
      break;
  }
  if (auto line = limits_.log_refusal(what + " refused: " + limits_.explain(r))) spdlog::warn("{} {}", log_, *line);
}

void TransportImpl::release_handshake(Connection& c) {
  if (!c.handshake_counted) return;
  c.handshake_counted = false;
  limits_.handshake_ended(c.handshake_address);
}

std::vector<PeerInfo> TransportImpl::peers() const {
  std::vector<PeerInfo> out;
  for (const auto& [id, list] : table_.peers())
    if (auto c = table_.preferred(id)) out.push_back(info(*c));
  return out;
}

std::optional<PeerInfo> TransportImpl::peer(const NodeId& id) const {
  if (auto c = table_.preferred(id)) return info(*c);
  return std::nullopt;
}

}  // namespace butter::host
