// TransportImpl, part 4: hole punching (TCP simultaneous open), the mechanism behind
// Transport::punch: which endpoints a punch may target, the peer's SYN that reached the listener
// first, and the connection a punched socket becomes. The punches in progress, their connectors
// and budget are Punches'. When and with which addresses to punch is the NAT plugin's policy.
#include "transport/transport_impl.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace butter::host {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr std::size_t kMaxPunchEndpoints = 4;
}  // namespace

void TransportImpl::punch(const NodeId& peer, const std::vector<std::string>& endpoints,
                          std::chrono::milliseconds window, std::function<void(Error)> done,
                          Transport::PunchSpread spread) {
  spread.local_sockets = std::min(spread.local_sockets, Transport::kMaxPunchLocalSockets);
  spread.remote_guesses = std::min(spread.remote_guesses, Transport::kMaxPunchGuesses);
  if (!done) done = [](const Error&) {};
  auto later = [this](std::function<void(Error)> fn, Error e) { punches_.fail_later(std::move(fn), std::move(e)); };
  if (stopped_ || !started_)
    return later(std::move(done), Error::make(BUTTER_E_CANCELLED, "cancelled: transport not running"));
  if (peer == opts_.self) return later(std::move(done), Error::make(BUTTER_E_INVALID, "unusable: that is this node"));
  if (punches_.busy(peer))
    return later(std::move(done), Error::make(BUTTER_E_AGAIN, "busy: a punch to that node, or 8 punches, under way"));
  // The local side: the first tcp listen address and its port (the port the NAT is expected to
  // preserve, and the one announced to the peer).
  std::optional<tcp::endpoint> local;
  for (const auto& uri : listen_uris_) {
    std::string why;
    auto ep = parse_endpoint(uri, why);
    boost::system::error_code ec;
    if (!ep || ep->scheme != "tcp") continue;
    auto addr = asio::ip::make_address(ep->host, ec);
    if (ec) continue;
    local = tcp::endpoint(addr, ep->port);
    break;
  }
  if (!local) return later(std::move(done), Error::make(BUTTER_E_UNSUPPORTED, "no-listen: no tcp listen endpoint"));
  std::vector<Punches::Target> targets;
  for (const auto& uri : endpoints) {
    if (targets.size() >= kMaxPunchEndpoints) break;
    std::string why;
    auto ep = parse_endpoint(uri, why);
    boost::system::error_code ec;
    if (!ep || ep->scheme != "tcp" || ep->port == 0 || is_own_endpoint(uri)) continue;
    auto addr = asio::ip::make_address(ep->host, ec);  // numeric only: nothing is resolved
    if (ec || addr.is_unspecified() || addr.is_multicast() || addr.is_v4() != local->address().is_v4()) continue;
    targets.emplace_back(tcp::endpoint(addr, ep->port), uri);
  }
  if (targets.empty())
    return later(std::move(done), Error::make(BUTTER_E_INVALID, "unusable: no tcp endpoint to punch"));
  if (auto r = limits_.admit_outbound(table_.size()); r != ConnectionLimits::Refusal::kNone) {
    refuse(r, "punch to " + peer.short_hex());
    return later(std::move(done), Error::make(BUTTER_E_AGAIN, "busy: " + limits_.explain(r)));
  }

  punches_.begin(peer, std::move(done));
  // Without a NAT that filters (loopback, public hosts), the peer's SYN may have reached our
  // listener before this call, and been accepted as an ordinary inbound connection, whose socket
  // holds the very 4-tuple our connect would need. When this side answers it in the role the ids
  // give it anyway (the responder: the larger id), it is the punch's connection.
  if (peer < opts_.self) {
    for (auto& [cid, c] : table_.all()) {
      if (c->outbound() || c->punched || !c->scheme.empty() || (c->up() && c->peer().id != peer)) continue;
      const std::string remote = c->remote_address();  // a structured binding cannot be captured (clang)
      const bool from_target = std::any_of(targets.begin(), targets.end(), [&](const auto& t) {
        return format_tcp_endpoint(t.first.address().to_string(), t.first.port()) == remote;
      });
      if (!from_target) continue;
      c->punched = true;
      punches_.found_connection(peer, cid);
      if (c->up()) {
        punches_.finish_later(peer, Error::ok());
      } else {
        c->expected_id = peer;
        finish_punch_when_up(peer, cid);
      }
      spdlog::debug("{} punch to {}: its SYN already reached the listener", log_, peer.short_hex());
      return;
    }
  }
  punches_.start(peer, *local, targets, window, spread);
}

void TransportImpl::adopt_punched(const NodeId& peer, std::shared_ptr<TcpPipe> pipe, bool inbound,
                                  const std::string& uri) {
  if (!punches_.claim(peer)) return pipe->close();
  auto c = new_connection(!inbound, {});
  c->punched = true;
  c->noise_initiator = opts_.self < peer;  // both sides connected: the ids decide the roles
  c->expected_id = peer;
  punches_.found_connection(peer, c->id());
  spdlog::debug("{} punched {} to {} ({})", log_, inbound ? "inbound" : "outbound", peer.short_hex(), uri);
  finish_punch_when_up(peer, c->id());
  c->attach(std::move(pipe), encode_hello(our_hello()), security());
}

void TransportImpl::finish_punch_when_up(const NodeId& peer, std::uint64_t connection) {
  table_.await_up(connection, [this, w = alive(), peer](const Error& e, const NodeId&) {
    if (w.expired()) return;
    punches_.finish(peer, e ? Error::make(BUTTER_E_UNAVAILABLE, "handshake: " + e.message) : Error::ok());
  });
}

}  // namespace butter::host
