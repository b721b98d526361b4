// TransportImpl: the coordinator behind Transport. It composes the concepts that each own their
// state — ConnectionTable (who is connected or dialled), PendingRequests (requests awaiting their
// answer, with deadlines), Punches (hole punches in progress), ConnManager and ConnectionLimits —
// and does what crosses them: listening, routing and dialling, the connection events, messaging,
// trimming, and the address book and dialers.
//
// Lifetime: asynchronous handlers capture `this` together with a weak_ptr to `alive_` and return
// at once when it has expired or `stopped_` is set, so that the Transport can be destroyed after
// stop() while handlers are still queued in the io_context; the composed tables keep the same rule
// with their own tokens and are stopped by stop(). Connections are held by shared_ptr and forget
// their owner when closed.
#pragma once
#include "transport/address_book.hpp"
#include "transport/connection.hpp"
#include "transport/conn_manager.hpp"
#include "transport/connection_limits.hpp"
#include "transport/connection_table.hpp"
#include "transport/endpoint.hpp"
#include "transport/pending_requests.hpp"
#include "transport/punches.hpp"
#include "transport/run_guarded.hpp"
#include "transport/transport.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>

namespace butter::host {

class TransportImpl : public Connection::Owner {
 public:
  TransportImpl(IoContext& io, Strand strand, TransportOptions options, TransportHandlers handlers);
  ~TransportImpl() override;

  Error start();
  void stop();
  std::vector<std::string> listen_endpoints() const { return listen_uris_; }
  std::vector<std::string> announced_endpoints() const;
  bool advertise(const std::string& uri);
  bool withdraw(const std::string& uri);
  bool release_peer(const NodeId& id);  // transport_conn_manager.cpp
  bool protect(const NodeId& peer, const std::string& owner, const std::string& tag) {
    return conn_manager_.protect(peer, owner, tag);
  }
  bool unprotect(const NodeId& peer, const std::string& owner, const std::string& tag) {
    return conn_manager_.unprotect(peer, owner, tag);
  }
  void release_protection(const std::string& owner) { conn_manager_.release_owner(owner); }
  Transport::ConnInfo conn_info() const;
  Error send(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> payload);
  Error send_sealed(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> head,
                    std::span<const std::uint8_t> sealed);
  Error request(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> payload,
                std::chrono::milliseconds timeout, ResponseFn on_response, std::uint64_t* request_id);
  bool cancel(std::uint64_t request_id);
  Error reply_parts(ReplyToken token, std::int32_t status, std::span<const std::span<const std::uint8_t>> parts);
  Error reply(ReplyToken token, std::int32_t status, std::span<const std::uint8_t> payload) {
    const std::span<const std::uint8_t> one[1] = {payload};
    return reply_parts(token, status, one);
  }
  void connect(const std::string& uri, std::function<void(Error, const NodeId&)> done);
  void add_address(const NodeId& id, const std::vector<std::string>& endpoints, bool front);
  void disconnect(const NodeId& id, const std::string& reason);
  void punch(const NodeId& peer, const std::vector<std::string>& endpoints, std::chrono::milliseconds window,
             std::function<void(Error)> done, Transport::PunchSpread spread);
  Error register_dialer(const std::string& scheme, std::shared_ptr<Dialer> dialer);
  void unregister_dialer(const std::string& scheme);
  Error accept_stream(const std::string& scheme, const std::string& remote, std::uint64_t stream_id,
                      std::shared_ptr<StreamSink>& sink);
  std::vector<PeerInfo> peers() const;
  std::optional<PeerInfo> peer(const NodeId& id) const;
  bool is_connected(const NodeId& id) const { return table_.is_connected(id); }
  Transport::Stats stats() const { return stats_; }

  // Connection::Owner
  void connection_hello(Connection& c, const Hello& hello) override;
  void connection_frame(Connection& c, const FrameView& frame) override;
  void connection_closed(Connection& c, const std::string& reason) override;
  bool connection_may_idle_close(Connection& c) override;
  void connection_memory_pressure(Connection& c) override;
  void connection_out_pressure(Connection& c, std::size_t bytes) override;
  Transport::Usage usage() const;

 private:
  struct Alive {};
  using ConnPtr = ConnectionTable::ConnPtr;

  // The options with the node's identity settled (generated when none was given).
  static TransportOptions with_identity(TransportOptions o);
  // Makes the punched connection over `pipe` (a connector's, or one our listener accepted from a
  // punch target) and waits for its HELLO to finish the punch.
  void adopt_punched(const NodeId& peer, std::shared_ptr<TcpPipe> pipe, bool inbound, const std::string& uri);
  // The punch to `peer` ends when connection `connection` is up, or fails when it closes first.
  void finish_punch_when_up(const NodeId& peer, std::uint64_t connection);

  // The connection to use for `peer` (hex node id or endpoint URI), dialling one if needed.
  ConnPtr route(const std::string& peer, Error& error);
  ConnPtr dial(const std::string& uri, const Endpoint& ep, std::optional<NodeId> expected, Error& error);
  ConnPtr new_connection(bool outbound, const std::string& uri);
  void accept_next(const std::shared_ptr<boost::asio::ip::tcp::acceptor>& acceptor);
  // The listen() backlog: where inbound connections wait while the handshake rate is reached.
  int listen_backlog() const;
  Hello our_hello() const;
  Connection::Security security() const { return {opts_.identity, opts_.plaintext}; }
  PeerInfo info(const Connection& c) const;
  void post_done(std::function<void(Error, const NodeId&)> done, Error e, NodeId id);
  bool is_own_endpoint(const std::string& uri) const;
  // Counts a connection refused by a limit and logs it (rate-limited); `what` names it.
  void refuse(ConnectionLimits::Refusal r, const std::string& what);
  // An inbound connection left the handshake (HELLO accepted, or closed): frees its slot.
  void release_handshake(Connection& c);
  std::weak_ptr<Alive> alive() const { return alive_; }
  // Connection manager: closes peers above the high watermark (now, or once their grace ends).
  void maybe_trim();
  void trim_now();
  // A peer has more than one up connection: close the others than preferred() once drained.
  void close_duplicates(const NodeId& id);
  bool connection_busy(const Connection& c) const;
  // max_connections is reached and a newcomer (inbound, or a dial of ours) wants in: closes the
  // least recently active unprotected inbound connection from the remote address that holds the
  // most such. False when there is none to close.
  bool evict_for_newcomer(const std::string& newcomer);
  // limits_.admit_inbound, evicting for the newcomer when max_connections is the only obstacle.
  ConnectionLimits::Refusal admit_inbound(const std::string& address);

  // Runs a user callback; an exception is logged and swallowed (never thrown into Asio).
  template <class F>
  bool guarded(const char* what, F&& f) noexcept;

  IoContext& io_;
  Strand strand_;
  TransportOptions opts_;
  TransportHandlers handlers_;
  std::string log_;  // "[transport 1a2b3c4d]"
  Transport::Stats stats_;
  ConnectionLimits limits_;
  ConnManager conn_manager_;
  ConnectionTable table_;
  PendingRequests pending_;
  Punches punches_;
  std::unique_ptr<boost::asio::steady_timer> trim_timer_;
  std::unordered_set<NodeId, NodeIdHash> releasing_;  // released peers waiting for their requests (release_peer)
  bool trim_armed_ = false;
  std::vector<std::string> advertised_;
  bool started_ = false, stopped_ = false;
  std::shared_ptr<Alive> alive_ = std::make_shared<Alive>();

  std::vector<std::shared_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::string> listen_uris_;
  std::vector<boost::asio::ip::address> listen_addresses_;  // bound; outgoing TCP is sourced from them
  AddressBook book_;                                        // where to dial node ids; who answered at a URI
  std::set<std::string> self_uris_;                         // URIs that turned out to reach this node (kMaxSelfUris)
  static constexpr std::size_t kMaxSelfUris = 64;
  TransportMemory memory_;
  std::map<std::string, std::shared_ptr<Dialer>> dialers_;
  std::chrono::steady_clock::time_point last_defer_log_{};  // rate-limits the accepts_deferred line
};

template <class F>
bool TransportImpl::guarded(const char* what, F&& f) noexcept {
  return run_guarded(log_, what, std::forward<F>(f));
}

}  // namespace butter::host
