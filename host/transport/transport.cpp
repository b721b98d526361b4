// Transport: the public face; every call forwards to TransportImpl. Callers are on the node's
// strand (see transport.hpp), so nothing here locks.
#include "transport/transport.hpp"

#include "transport/transport_impl.hpp"

namespace butter::host {

Transport::Transport(IoContext& io, Strand strand, TransportOptions options, TransportHandlers handlers)
    : impl_(std::make_unique<TransportImpl>(io, std::move(strand), std::move(options), std::move(handlers))) {}

Transport::~Transport() = default;

Error Transport::start() { return impl_->start(); }
void Transport::stop() { impl_->stop(); }
std::vector<std::string> Transport::listen_endpoints() const { return impl_->listen_endpoints(); }
std::vector<std::string> Transport::announced_endpoints() const { return impl_->announced_endpoints(); }
bool Transport::advertise(const std::string& uri) { return impl_->advertise(uri); }
bool Transport::withdraw(const std::string& uri) { return impl_->withdraw(uri); }
bool Transport::protect(const NodeId& peer, const std::string& owner, const std::string& tag) {
  return impl_->protect(peer, owner, tag);
}
bool Transport::unprotect(const NodeId& peer, const std::string& owner, const std::string& tag) {
  return impl_->unprotect(peer, owner, tag);
}
void Transport::release_protection(const std::string& owner) { impl_->release_protection(owner); }
bool Transport::release_peer(const NodeId& peer) { return impl_->release_peer(peer); }
Transport::ConnInfo Transport::conn_info() const { return impl_->conn_info(); }

Error Transport::send(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> payload) {
  return impl_->send(peer, protocol, payload);
}

Error Transport::send_sealed(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> head,
                             std::span<const std::uint8_t> sealed) {
  return impl_->send_sealed(peer, protocol, head, sealed);
}

Error Transport::request(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> payload,
                         std::chrono::milliseconds timeout, ResponseFn on_response, std::uint64_t* request_id) {
  return impl_->request(peer, protocol, payload, timeout, std::move(on_response), request_id);
}

bool Transport::cancel(std::uint64_t request_id) { return impl_->cancel(request_id); }

Error Transport::reply(ReplyToken token, std::int32_t status, std::span<const std::uint8_t> payload) {
  const std::span<const std::uint8_t> one[1] = {payload};
  return impl_->reply_parts(token, status, one);
}

Error Transport::reply_parts(ReplyToken token, std::int32_t status,
                             std::span<const std::span<const std::uint8_t>> parts) {
  return impl_->reply_parts(token, status, parts);
}

void Transport::connect(const std::string& uri, std::function<void(Error, const NodeId&)> done) {
  impl_->connect(uri, std::move(done));
}

void Transport::add_address(const NodeId& id, const std::vector<std::string>& endpoints, bool front) {
  impl_->add_address(id, endpoints, front);
}

void Transport::disconnect(const NodeId& id, const std::string& reason) { impl_->disconnect(id, reason); }

void Transport::punch(const NodeId& peer, const std::vector<std::string>& endpoints, std::chrono::milliseconds window,
                      std::function<void(Error)> done, PunchSpread spread) {
  impl_->punch(peer, endpoints, window, std::move(done), spread);
}

Error Transport::register_dialer(const std::string& scheme, std::shared_ptr<Dialer> dialer) {
  return impl_->register_dialer(scheme, std::move(dialer));
}

void Transport::unregister_dialer(const std::string& scheme) { impl_->unregister_dialer(scheme); }

Error Transport::accept_stream(const std::string& scheme, const std::string& remote, std::uint64_t stream_id,
                               std::shared_ptr<StreamSink>& sink) {
  return impl_->accept_stream(scheme, remote, stream_id, sink);
}

std::vector<PeerInfo> Transport::peers() const { return impl_->peers(); }
std::optional<PeerInfo> Transport::peer(const NodeId& id) const { return impl_->peer(id); }
bool Transport::is_connected(const NodeId& id) const { return impl_->is_connected(id); }
Transport::Stats Transport::stats() const { return impl_->stats(); }

Transport::Usage Transport::usage() const { return impl_->usage(); }

}  // namespace butter::host
