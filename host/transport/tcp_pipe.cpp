#include "transport/tcp_pipe.hpp"

#include "transport/endpoint.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace butter::host {

namespace asio = boost::asio;
using asio::ip::tcp;

// One read buffer per connection. 64 KiB keeps syscalls few for bulk transfers without making an
// idle connection expensive.
static constexpr std::size_t kReadChunk = 64 * 1024;

TcpPipe::TcpPipe(tcp::socket socket) : socket_(std::move(socket)), buf_(kReadChunk) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  remote_ = ec ? std::string("tcp://?") : format_tcp_endpoint(ep.address().to_string(), ep.port());
  socket_.set_option(tcp::no_delay(true), ec);  // frames are small and latency matters
}

TcpPipe::~TcpPipe() {
  boost::system::error_code ec;
  socket_.close(ec);
}

void TcpPipe::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  read_more();
}

void TcpPipe::read_more() {
  if (closed_) return;
  socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) {
      self->closed_ = true;
      auto on_closed = std::move(self->handlers_.on_closed);
      self->handlers_ = {};
      if (on_closed) on_closed(ec == asio::error::eof ? std::string("closed by peer") : ec.message());
      return;
    }
    if (self->handlers_.on_data) self->handlers_.on_data(std::span<const std::uint8_t>(self->buf_.data(), n));
    self->read_more();
  });
}

void TcpPipe::write(std::vector<asio::const_buffer> buffers, WriteDone done) {
  if (closed_) return;
  asio::async_write(socket_, buffers, [self = shared_from_this(), done = std::move(done)](boost::system::error_code ec, std::size_t) {
    if (self->closed_) return;
    done(ec ? ec.message() : std::string());
  });
}

void TcpPipe::close() {
  if (closed_) return;
  // handlers_ stays: close() may be called from inside on_data, which must not destroy itself.
  closed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

TcpConnector::TcpConnector(const Strand& strand, Done done)
    : resolver_(strand), socket_(strand), timer_(strand), done_(std::move(done)) {}

std::shared_ptr<TcpConnector> TcpConnector::start(const Strand& strand, const std::string& host, std::uint16_t port,
                                                  std::chrono::milliseconds timeout, Done done) {
  auto self = std::shared_ptr<TcpConnector>(new TcpConnector(strand, std::move(done)));
  self->timer_.expires_after(timeout);
  self->timer_.async_wait([self](boost::system::error_code ec) {
    if (ec || !self->done_) return;
    self->finish(nullptr, "connect timed out");
  });
  // Numeric hosts resolve without a lookup; names ("localhost") go through the resolver.
  self->resolver_.async_resolve(host, std::to_string(port), tcp::resolver::numeric_service,
                                [self](boost::system::error_code ec, tcp::resolver::results_type results) {
                                  if (!self->done_) return;
                                  if (ec) return self->finish(nullptr, "cannot resolve: " + ec.message());
                                  asio::async_connect(self->socket_, results, [self](boost::system::error_code ec, const tcp::endpoint&) {
                                    if (!self->done_) return;
                                    if (ec) return self->finish(nullptr, "connect failed: " + ec.message());
                                    self->finish(std::make_shared<TcpPipe>(std::move(self->socket_)), {});
                                  });
                                });
  return self;
}

void TcpConnector::finish(std::shared_ptr<TcpPipe> pipe, const std::string& error) {
  auto done = std::move(done_);
  done_ = nullptr;
  timer_.cancel();
  resolver_.cancel();
  boost::system::error_code ec;
  if (!pipe) socket_.close(ec);
  if (done) done(std::move(pipe), error);
}

void TcpConnector::cancel() {
  done_ = nullptr;
  timer_.cancel();
  resolver_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
}

}  // namespace butter::host
