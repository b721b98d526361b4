// TransportImpl, part 4: hole punching (TCP simultaneous open), the mechanism behind
// Transport::punch. When and with which addresses to punch is the NAT plugin's policy.
#include "transport/transport_impl.hpp"

#include <boost/asio/post.hpp>
#include <algorithm>
#include <random>
#include <set>
#include <spdlog/spdlog.h>

namespace butter::host {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr std::size_t kMaxPunchEndpoints = 4;
constexpr std::chrono::milliseconds kPunchRetry{200};

// `n` distinct ports in 1024..65535, none equal to `skip` (n <= Transport::kMaxPunchGuesses).
std::vector<std::uint16_t> guess_ports(std::uint32_t n, std::uint16_t skip) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> port(1024, 65535);
  std::set<std::uint16_t> picked;
  while (picked.size() < n) {
    const auto p = static_cast<std::uint16_t>(port(rng));
    if (p != skip) picked.insert(p);
  }
  std::vector<std::uint16_t> out(picked.begin(), picked.end());
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}
}  // namespace

void TransportImpl::punch(const NodeId& peer, const std::vector<std::string>& endpoints,
                          std::chrono::milliseconds window, std::function<void(Error)> done,
                          Transport::PunchSpread spread) {
  spread.local_sockets = std::min(spread.local_sockets, Transport::kMaxPunchLocalSockets);
  spread.remote_guesses = std::min(spread.remote_guesses, Transport::kMaxPunchGuesses);
  if (!done) done = [](const Error&) {};
  auto later = [this, w = alive()](std::function<void(Error)> fn, Error e) {
    asio::post(strand_, [this, w, fn = std::move(fn), e = std::move(e)] {
      if (!w.expired()) guarded("punch", [&] { fn(e); });
    });
  };
  if (stopped_ || !started_)
    return later(std::move(done), Error::make(BUTTER_E_CANCELLED, "cancelled: transport not running"));
  if (peer == opts_.self) return later(std::move(done), Error::make(BUTTER_E_INVALID, "unusable: that is this node"));
  if (punches_.count(peer) || punches_.size() >= kMaxPunches)
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
  std::vector<std::pair<tcp::endpoint, std::string>> targets;
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
  if (auto r = limits_.admit_outbound(connections_.size()); r != ConnectionLimits::Refusal::kNone) {
    refuse(r, "punch to " + peer.short_hex());
    return later(std::move(done), Error::make(BUTTER_E_AGAIN, "busy: " + limits_.explain(r)));
  }

  ++stats_.punch_attempts;
  auto& job = punches_[peer];
  job.done = std::move(done);
  job.last_error = "timeout";
  // Without a NAT that filters (loopback, public hosts), the peer's SYN may have reached our
  // listener before this call, and been accepted as an ordinary inbound connection, whose socket
  // holds the very 4-tuple our connect would need. When this side answers it in the role the ids
  // give it anyway (the responder: the larger id), it is the punch's connection.
  if (peer < opts_.self) {
    for (auto& [cid, c] : connections_) {
      if (c->outbound() || c->punched || !c->scheme.empty() || (c->up() && c->peer().id != peer)) continue;
      const std::string remote = c->remote_address();  // a structured binding cannot be captured (clang)
      const bool from_target = std::any_of(targets.begin(), targets.end(), [&](const auto& t) {
        return format_tcp_endpoint(t.first.address().to_string(), t.first.port()) == remote;
      });
      if (!from_target) continue;
      c->punched = true;
      job.connection = cid;
      if (c->up()) {
        asio::post(strand_, [this, w = alive(), peer] {
          if (!w.expired() && !stopped_) finish_punch(peer, Error::ok());
        });
      } else {
        c->expected_id = peer;
        connect_waiters_[cid].push_back([this, w = alive(), peer](const Error& e, const NodeId&) {
          if (w.expired()) return;
          finish_punch(peer, e ? Error::make(BUTTER_E_UNAVAILABLE, "handshake: " + e.message) : Error::ok());
        });
      }
      spdlog::debug("{} punch to {}: its SYN already reached the listener", log_, peer.short_hex());
      return;
    }
  }
  // One connector per target from the listen port; the spread's extra ones for the first target
  // (the peer's observed public address: the caller puts it first).
  struct Attempt {
    tcp::endpoint local, remote;
    std::string uri;
    bool spread = false;  // budgeted as spread (PunchBudget::take_spread)
  };
  std::vector<Attempt> attempts;
  attempts.reserve(targets.size() + spread.local_sockets + spread.remote_guesses);
  for (const auto& [remote, uri] : targets) attempts.push_back({*local, remote, uri});
  const auto& [first, first_uri] = targets.front();
  for (std::uint32_t i = 0; i < spread.local_sockets; ++i)
    attempts.push_back({tcp::endpoint(local->address(), 0), first, first_uri, true});
  for (auto port : guess_ports(spread.remote_guesses, first.port())) {
    tcp::endpoint guess(first.address(), port);
    attempts.push_back({*local, guess, format_tcp_endpoint(guess.address().to_string(), port), true});
  }
  // The node's punch budget, in this order: the endpoints before the spread. A punch none of
  // whose SYNs fits fails as "budget" (later, as every outcome).
  const std::size_t wanted = attempts.size();
  attempts.erase(std::remove_if(attempts.begin(), attempts.end(),
                                [this](const Attempt& a) { return !take_punch_syn(a.remote, a.spread); }),
                 attempts.end());
  if (attempts.size() < wanted)
    spdlog::debug("{} punch to {}: {} of {} SYN(s) over the punch budget, not sent", log_, peer.short_hex(),
                  wanted - attempts.size(), wanted);
  if (attempts.empty()) {
    asio::post(strand_, [this, w = alive(), peer] {
      if (!w.expired() && !stopped_)
        finish_punch(peer,
                     Error::make(BUTTER_E_AGAIN, "budget: every SYN of this punch is over the node's punch budget"));
    });
    return;
  }
  // One more than the connectors until all are started: a connector that fails at once (bind)
  // reports inside start(), and must not end the job while this loop still adds to it.
  job.left = attempts.size() + 1;
  spdlog::debug("{} punching to {} ({} endpoint(s), {} socket(s), {} ms)", log_, peer.short_hex(), targets.size(),
                attempts.size(), window.count());
  for (const auto& a : attempts) {
    job.connectors.push_back(PunchConnector::start(
        strand_, a.local, a.remote, window, kPunchRetry,
        [this, w = alive(), peer, uri = a.uri](std::shared_ptr<TcpPipe> pipe, const std::string& why) {
          if (w.expired() || stopped_) return;
          auto it = punches_.find(peer);
          if (it == punches_.end() || it->second.connection) return;
          if (pipe) return adopt_punched(peer, std::move(pipe), false, uri);
          // An address no route leads to (a LAN address of a peer on another LAN) says nothing
          // about the punch: its reason is kept only when every attempt ended that way.
          auto& job = it->second;
          const bool unreachable = why.rfind("unreachable", 0) == 0;
          if (!unreachable) job.reachable_error = true;
          if (!unreachable || !job.reachable_error) job.last_error = why;
          if (--job.left == 0) finish_punch(peer, Error::make(BUTTER_E_TIMEOUT, job.last_error));
        },
        [this, w = alive(), spread = a.spread](const tcp::endpoint& remote) {
          return !w.expired() && take_punch_syn(remote, spread);
        }));
  }
  if (--job.left == 0) finish_punch(peer, Error::make(BUTTER_E_TIMEOUT, job.last_error));
}

bool TransportImpl::take_punch_syn(const tcp::endpoint& remote, bool spread) {
  const auto now = opts_.clock ? opts_.clock() : std::chrono::steady_clock::now();
  const std::string ip = remote.address().to_string();
  if (spread ? punch_budget_.take_spread(ip, now) : punch_budget_.take(ip, now)) return true;
  ++stats_.punch_syns_refused;
  return false;
}

std::optional<NodeId> TransportImpl::punch_for(const tcp::endpoint& remote) const {
  for (const auto& [peer, job] : punches_) {
    if (job.connection) continue;
    for (const auto& c : job.connectors)
      if (c->remote() == remote) return peer;
  }
  return std::nullopt;
}

void TransportImpl::adopt_punched(const NodeId& peer, std::shared_ptr<TcpPipe> pipe, bool inbound,
                                  const std::string& uri) {
  auto it = punches_.find(peer);
  if (it == punches_.end()) return pipe->close();
  for (auto& c : it->second.connectors) c->cancel();
  auto c = new_connection(!inbound, {});
  c->punched = true;
  c->noise_initiator = opts_.self < peer;  // both sides connected: the ids decide the roles
  c->expected_id = peer;
  it->second.connection = c->id();
  spdlog::debug("{} punched {} to {} ({})", log_, inbound ? "inbound" : "outbound", peer.short_hex(), uri);
  connect_waiters_[c->id()].push_back([this, w = alive(), peer](const Error& e, const NodeId&) {
    if (w.expired()) return;
    finish_punch(peer, e ? Error::make(BUTTER_E_UNAVAILABLE, "handshake: " + e.message) : Error::ok());
  });
  c->attach(std::move(pipe), encode_hello(our_hello()), security());
}

void TransportImpl::finish_punch(const NodeId& peer, Error e) {
  auto it = punches_.find(peer);
  if (it == punches_.end()) return;
  auto job = std::move(it->second);
  punches_.erase(it);
  for (auto& c : job.connectors) c->cancel();
  if (e) {
    ++stats_.punch_failures;
    spdlog::debug("{} punch to {} failed: {}", log_, peer.short_hex(), e.message);
  } else {
    ++stats_.punch_successes;
  }
  if (job.done) guarded("punch", [&] { job.done(e); });
}

}  // namespace butter::host
