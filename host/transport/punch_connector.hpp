// PunchConnector: the socket side of hole punching (TCP simultaneous open).
//
// Both nodes behind NAT connect to each other's public address at about the same moment, each
// from the port it LISTENS on (SO_REUSEADDR + SO_REUSEPORT, the listener has them too): a NAT with
// endpoint-independent, port-preserving mapping then gives the outgoing SYN the very public
// address:port the peer was told, and the SYN the peer sends there finds the mapping open and
// reaches our socket in SYN_SENT. The kernel completes a simultaneous open (or the ordinary
// handshake when one SYN got through first). A SYN the far NAT drops is retransmitted by the
// kernel; an attempt refused at once (a reset) is retried every retry_every until the window ends,
// each retry only if `may_retry` allows it (the node's punch budget: a retry is one more SYN).
//
// Everything runs on the node's strand. `done` is called exactly once unless cancel() came first.
#pragma once
#include "core/executor.hpp"
#include "transport/tcp_pipe.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace butter::host {

class PunchConnector : public std::enable_shared_from_this<PunchConnector> {
 public:
  // A connected pipe, or nullptr and why ("timeout", "refused: ...", "bind: ...").
  using Done = std::function<void(std::shared_ptr<TcpPipe>, const std::string& error)>;
  // Asked before each retry; false ends the connector with the error of its last attempt.
  using MayRetry = std::function<bool(const boost::asio::ip::tcp::endpoint& remote)>;

  static std::shared_ptr<PunchConnector> start(const Strand& strand, boost::asio::ip::tcp::endpoint local,
                                               boost::asio::ip::tcp::endpoint remote, std::chrono::milliseconds window,
                                               std::chrono::milliseconds retry_every, Done done,
                                               MayRetry may_retry = {});
  void cancel();
  const boost::asio::ip::tcp::endpoint& remote() const { return remote_; }

 private:
  PunchConnector(const Strand& strand, Done done);
  void attempt();
  void finish(std::shared_ptr<TcpPipe> pipe, const std::string& error);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_, retry_;
  boost::asio::ip::tcp::endpoint local_, remote_;
  std::chrono::milliseconds retry_every_{200};
  std::string last_error_ = "timeout";
  Done done_;
  MayRetry may_retry_;
};

// Opens `socket` for `local`'s protocol with SO_REUSEADDR and SO_REUSEPORT set, and binds it to
// `local`: how both the listener and punching sockets share the listen port.
boost::system::error_code open_reusing_port(boost::asio::ip::tcp::socket& socket,
                                            const boost::asio::ip::tcp::endpoint& local);

}  // namespace butter::host
