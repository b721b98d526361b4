// TransportImpl, part 3: what plugins supply for schemes other than tcp:// — dialers for outbound
// streams ("relay://"), and inbound streams they hand over (a relayed connection to a node behind
// NAT), which then run the responder handshake like an accepted TCP connection.
#include "transport/dialer_pipe.hpp"
#include "transport/transport_impl.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <optional>

namespace butter::host {

namespace {

// The scheme as endpoints spell it (lower case), or nothing when it is not a URI scheme.
std::optional<std::string> scheme_of(const std::string& scheme_in) {
  std::string why;
  auto ep = parse_endpoint(scheme_in + "://x", why);
  if (!ep) return std::nullopt;
  return ep->scheme;
}

}  // namespace

Error TransportImpl::register_dialer(const std::string& scheme_in, std::shared_ptr<Dialer> dialer) {
  auto scheme = scheme_of(scheme_in);
  if (!scheme) return Error::make(BUTTER_E_INVALID, "'" + scheme_in + "' is not a URI scheme");
  if (!dialer) return Error::make(BUTTER_E_INVALID, "null dialer");
  if (*scheme == "tcp") return Error::make(BUTTER_E_INVALID, "tcp:// is built in");
  if (dialers_.count(*scheme)) return Error::make(BUTTER_E_INVALID, "a dialer for '" + *scheme + "' is registered");
  dialers_[*scheme] = std::move(dialer);
  return Error::ok();
}

void TransportImpl::unregister_dialer(const std::string& scheme_in) {
  auto scheme = scheme_of(scheme_in);
  if (!scheme || !dialers_.erase(*scheme)) return;
  // The dialer's code may be about to be unloaded: nothing may keep calling it.
  std::vector<ConnPtr> victims;
  for (auto& [id, c] : table_.all())
    if (c->scheme == *scheme) victims.push_back(c);
  for (auto& c : victims) c->close("dialer for " + *scheme + ":// unregistered");
}

Error TransportImpl::accept_stream(const std::string& scheme_in, const std::string& remote, std::uint64_t stream_id,
                                   std::shared_ptr<StreamSink>& sink) {
  if (stopped_ || !started_) return Error::make(BUTTER_E_CANCELLED, "transport not running");
  auto scheme = scheme_of(scheme_in);
  if (!scheme) return Error::make(BUTTER_E_INVALID, "'" + scheme_in + "' is not a URI scheme");
  auto d = dialers_.find(*scheme);
  if (d == dialers_.end()) return Error::make(BUTTER_E_INVALID, "no dialer for scheme '" + *scheme + "://'");
  // Relayed streams count toward max_connections and the handshake rate; their per-address
  // limit is the relaying plugin's business (their remote names no IP).
  if (auto r = limits_.admit_inbound(table_.size(), {}); r != ConnectionLimits::Refusal::kNone) {
    refuse(r, "inbound " + *scheme + " stream from " + remote);
    return Error::make(BUTTER_E_AGAIN, "stream from " + remote + " refused: " + limits_.explain(r));
  }
  auto pipe = std::make_shared<DialerPipe>(strand_, d->second, remote);
  sink = pipe->adopt(stream_id);
  auto c = new_connection(false, {});
  c->handshake_counted = true;
  c->scheme = *scheme;
  spdlog::debug("{} inbound {} stream {} from {}", log_, *scheme, stream_id, remote);
  // Attach from a later turn: the caller learns the stream id before any write reaches it.
  std::weak_ptr<Connection> wc = c;
  boost::asio::post(strand_, [this, w = alive(), wc, pipe] {
    if (w.expired() || stopped_) return pipe->close();
    auto c = wc.lock();
    if (!c || c->closed()) return pipe->close();
    c->attach(pipe, encode_hello(our_hello()), security());
  });
  return Error::ok();
}

}  // namespace butter::host
