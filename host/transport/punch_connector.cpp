#include "transport/punch_connector.hpp"

#include <boost/asio/socket_base.hpp>

#include <sys/socket.h>

namespace butter::host {

namespace asio = boost::asio;
using asio::ip::tcp;

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

boost::system::error_code open_reusing_port(tcp::socket& socket, const tcp::endpoint& local) {
  boost::system::error_code ec;
  socket.open(local.protocol(), ec);
  if (!ec) socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) socket.set_option(reuse_port(true), ec);
  if (!ec) socket.bind(local, ec);
  return ec;
}

PunchConnector::PunchConnector(const Strand& strand, Done done)
    : socket_(strand), deadline_(strand), retry_(strand), done_(std::move(done)) {}

std::shared_ptr<PunchConnector> PunchConnector::start(const Strand& strand, tcp::endpoint local, tcp::endpoint remote,
                                                      std::chrono::milliseconds window,
                                                      std::chrono::milliseconds retry_every, Done done,
                                                      MayRetry may_retry) {
  auto self = std::shared_ptr<PunchConnector>(new PunchConnector(strand, std::move(done)));
  self->may_retry_ = std::move(may_retry);
  self->local_ = std::move(local);
  self->remote_ = std::move(remote);
  self->retry_every_ = retry_every;
  self->deadline_.expires_after(window);
  self->deadline_.async_wait([self](boost::system::error_code ec) {
    if (ec || !self->done_) return;
    self->finish(nullptr, self->last_error_);
  });
  self->attempt();
  return self;
}

void PunchConnector::attempt() {
  if (!done_) return;
  boost::system::error_code ec;
  socket_.close(ec);
  ec = open_reusing_port(socket_, local_);
  if (ec)
    return finish(nullptr,
                  "bind " + local_.address().to_string() + ":" + std::to_string(local_.port()) + ": " + ec.message());
  socket_.async_connect(remote_, [self = shared_from_this()](boost::system::error_code ec) {
    if (!self->done_) return;
    if (!ec) return self->finish(std::make_shared<TcpPipe>(std::move(self->socket_)), {});
    if (ec == asio::error::operation_aborted) return;
    // Refused (a reset from a NAT that answers unsolicited SYNs, or the peer not yet listening
    // through its mapping), or the 4-tuple is taken by a connection the peer's SYN already made
    // to our listener: try again until the window closes.
    if (ec == asio::error::connection_refused)
      self->last_error_ = "refused";
    else if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable)
      self->last_error_ = "unreachable: " + ec.message();
    else
      self->last_error_ = ec.message();
    boost::system::error_code ignored;
    self->socket_.close(ignored);
    self->retry_.expires_after(self->retry_every_);
    self->retry_.async_wait([self](boost::system::error_code ec2) {
      if (ec2 || !self->done_) return;
      if (self->may_retry_ && !self->may_retry_(self->remote_)) return self->finish(nullptr, self->last_error_);
      self->attempt();
    });
  });
}

void PunchConnector::finish(std::shared_ptr<TcpPipe> pipe, const std::string& error) {
  auto done = std::move(done_);
  done_ = nullptr;
  deadline_.cancel();
  retry_.cancel();
  boost::system::error_code ec;
  if (!pipe) socket_.close(ec);
  if (done) done(std::move(pipe), error);
}

void PunchConnector::cancel() {
  done_ = nullptr;
  deadline_.cancel();
  retry_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
}

}  // namespace butter::host
