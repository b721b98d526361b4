// TransportImpl: routing and dialling. Which connection carries a message to a peer (the preferred
// one of several, ConnectionTable::preferred), and dialling one when there is none: from the addresses the book knows
// for the peer, within the connection limits (evicting a low-value peer for a newcomer when full).
#include "transport/transport_impl.hpp"

#include "transport/dialer_pipe.hpp"
#include "transport/tcp_pipe.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace butter::host {

namespace asio = boost::asio;

TransportImpl::ConnPtr TransportImpl::route(const std::string& peer, Error& error) {
  if (auto id = NodeId::from_hex(peer)) {
    if (*id == opts_.self) {
      error = Error::make(BUTTER_E_INVALID, "cannot send to this node itself");
      return nullptr;
    }
    if (auto c = table_.preferred(*id)) return c;
    if (auto c = table_.dialing(*id)) return c;
    const auto known = book_.endpoints(*id);
    if (known.empty()) {
      error = Error::make(BUTTER_E_NOT_FOUND, "no connection to or address for node " + id->short_hex());
      return nullptr;
    }
    // Try the known endpoints in order; the first dial that can start wins.
    Error last = Error::make(BUTTER_E_NOT_FOUND, "no usable address for node " + id->short_hex());
    for (const auto& uri : known) {
      std::string why;
      auto ep = parse_endpoint(uri, why);
      if (!ep || is_own_endpoint(uri)) continue;
      if (auto c = table_.dialing(uri)) return c;
      if (auto c = dial(uri, *ep, *id, last)) return c;
    }
    error = last;
    return nullptr;
  }
  std::string why;
  auto ep = parse_endpoint(peer, why);
  if (!ep) {
    error = Error::make(BUTTER_E_INVALID, "'" + peer + "' is neither a node id nor an endpoint: " + why);
    return nullptr;
  }
  if (is_own_endpoint(peer)) {
    error = Error::make(BUTTER_E_INVALID, "'" + peer + "' is this node's own endpoint");
    return nullptr;
  }
  if (auto who = book_.who_is(peer))
    if (auto c = table_.preferred(*who)) return c;
  if (auto c = table_.dialing(peer)) return c;
  return dial(peer, *ep, std::nullopt, error);
}

TransportImpl::ConnPtr TransportImpl::dial(const std::string& uri, const Endpoint& ep, std::optional<NodeId> expected,
                                           Error& error) {
  auto r = limits_.admit_outbound(table_.size());
  if (r == ConnectionLimits::Refusal::kMaxConnections && evict_for_newcomer("a dial to " + uri))
    r = limits_.admit_outbound(table_.size());
  if (r != ConnectionLimits::Refusal::kNone) {
    refuse(r, "dial to " + uri);
    error = Error::make(BUTTER_E_AGAIN, "cannot dial " + uri + ": " + limits_.explain(r));
    return nullptr;
  }
  std::shared_ptr<DialerPipe> dialer_pipe;
  if (ep.scheme != "tcp") {
    auto d = dialers_.find(ep.scheme);
    if (d == dialers_.end()) {
      error = Error::make(BUTTER_E_UNSUPPORTED, "no dialer for scheme '" + ep.scheme + "://'");
      return nullptr;
    }
    dialer_pipe = std::make_shared<DialerPipe>(strand_, d->second, uri);
    if (auto why = dialer_pipe->open(); !why.empty()) {
      spdlog::debug("{} dial {} failed: {}", log_, uri, why);
      error = Error::make(BUTTER_E_UNAVAILABLE, "dial " + uri + " failed: " + why);
      return nullptr;
    }
  }
  auto c = new_connection(true, uri);
  c->expected_id = expected;
  if (expected) table_.expect(*expected, *c);
  spdlog::debug("{} dialling {}", log_, uri);
  if (dialer_pipe) {
    c->scheme = ep.scheme;
    c->attach(dialer_pipe, encode_hello(our_hello()), security());
    return c;
  }
  std::weak_ptr<Connection> wc = c;
  auto connector = TcpConnector::start(
      strand_, ep.host, ep.port, opts_.connect_timeout,
      [this, w = alive(), wc, uri](std::shared_ptr<TcpPipe> pipe, const std::string& why) {
        if (w.expired() || stopped_) return;
        auto c = wc.lock();
        if (!c || c->closed()) return;
        if (!pipe) return c->close("dial " + uri + " failed: " + why);
        c->attach(std::move(pipe), encode_hello(our_hello()), security());
      },
      // Dial from the address this node listens on (when it is a specific one): peers then see the
      // node's connections come from where it is known to be, as on a network of separate hosts.
      [addresses = listen_addresses_](const asio::ip::address& remote) { return source_address(addresses, remote); });
  c->set_dial_cancel([connector] { connector->cancel(); });
  return c;
}

void TransportImpl::post_done(std::function<void(Error, const NodeId&)> done, Error e, NodeId id) {
  asio::post(strand_, [this, w = alive(), done = std::move(done), e = std::move(e), id] {
    if (w.expired()) return;
    guarded("connect", [&] { done(e, id); });
  });
}

void TransportImpl::connect(const std::string& uri, std::function<void(Error, const NodeId&)> done) {
  if (!done) done = [](const Error&, const NodeId&) {};
  if (stopped_) return post_done(std::move(done), Error::make(BUTTER_E_CANCELLED, "transport stopped"), {});
  Error e;
  auto c = route(uri, e);
  if (!c) return post_done(std::move(done), std::move(e), {});
  if (c->up()) return post_done(std::move(done), Error::ok(), c->peer().id);
  table_.await_up(c->id(), std::move(done));
}

void TransportImpl::add_address(const NodeId& id, const std::vector<std::string>& endpoints, bool front) {
  if (id == opts_.self) return;
  book_.add(id, endpoints, front);
}

}  // namespace butter::host
