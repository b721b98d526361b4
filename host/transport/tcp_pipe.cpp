#include "transport/tcp_pipe.hpp"

#include "transport/endpoint.hpp"
#include "transport/read_buffer.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

namespace butter::host {

namespace asio = boost::asio;
using asio::ip::tcp;

// At most this many bytes per readiness, then the wait is re-armed: a few full reads amortise the
// wait, and a peer that keeps the socket full still lets other connections on the thread take
// their turn (asio queues the re-armed wait's completion behind handlers already ready; it never
// completes inside async_wait).
static constexpr std::size_t kReadBudgetPerWake = 1024 * 1024;
static constexpr int kReadsPerWake = static_cast<int>(kReadBudgetPerWake / ReadBuffer::kSize);
static_assert(kReadsPerWake >= 1, "the per-wakeup budget holds at least one full read");

TcpPipe::TcpPipe(tcp::socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  remote_ = ec ? std::string("tcp://?") : format_tcp_endpoint(ep.address().to_string(), ep.port());
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_ = format_tcp_endpoint(local.address().to_string(), local.port());
  socket_.set_option(tcp::no_delay(true), ec);  // frames are small and latency matters
  // read_some after a readiness wait must never block the strand (asynchronous writes are not
  // affected: Asio runs them non-blocking either way).
  socket_.non_blocking(true, ec);
}

TcpPipe::~TcpPipe() {
  boost::system::error_code ec;
  socket_.close(ec);
}

void TcpPipe::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  read_more();
}

// No buffer is held while waiting: an idle connection costs no read buffer. Once the socket is
// readable, the bytes are read into the thread's ReadBuffer and handed on at once (on_data's span
// is valid for the call only, as before).
void TcpPipe::read_more() {
  if (closed_) return;
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
    if (self->closed_) return;
    if (ec) return self->end(ec);
    self->read_ready();
  });
}

void TcpPipe::read_ready() {
  ReadBuffer buf;
  for (int i = 0; i < kReadsPerWake; ++i) {
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(buf.data(), buf.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;  // spurious wake-up
    if (ec) return end(ec);
    if (handlers_.on_data) handlers_.on_data(std::span<std::uint8_t>(buf.data(), n));
    if (closed_) return;
    if (n < buf.size()) break;  // drained for now
  }
  // Waiting re-arms the descriptor, so bytes still unread complete the wait at once.
  read_more();
}

void TcpPipe::end(const boost::system::error_code& ec) {
  closed_ = true;
  auto on_closed = std::move(handlers_.on_closed);
  handlers_ = {};
  if (on_closed) on_closed(ec == asio::error::eof ? std::string("closed by peer") : ec.message());
}

// Straight into the socket while it has room and nothing is queued before this write (the socket
// is non-blocking), as Asio's own speculative write would do; only what the socket did not take
// waits for writability. The next write then does not wait for this one's completion handler,
// which runs only once the strand is free: replies made while a read loop is still parsing a
// batch leave at once, and the peer works on them while this side parses the rest.
void TcpPipe::write(std::vector<asio::const_buffer> buffers, WriteDone done) {
  if (closed_) return;
  if (writes_.empty()) {
    boost::system::error_code ec;
    std::size_t n = socket_.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      n = 0;
    } else if (ec) {
      return complete_later(std::move(done), ec.message());
    }
    std::size_t i = 0;
    while (i < buffers.size() && n >= buffers[i].size()) n -= buffers[i++].size();
    buffers.erase(buffers.begin(), buffers.begin() + static_cast<std::ptrdiff_t>(i));
    if (!buffers.empty()) buffers.front() += n;
    if (asio::buffer_size(buffers) == 0) return complete_later(std::move(done), {});
  }
  writes_.push_back(PendingWrite{std::move(buffers), std::move(done)});
  if (writes_.size() == 1) write_next();  // else it follows the ones before it
}

void TcpPipe::write_next() {
  asio::async_write(socket_, writes_.front().buffers,
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      if (self->closed_) return;
                      auto done = std::move(self->writes_.front().done);
                      self->writes_.pop_front();
                      if (ec) return done(ec.message());  // the writer closes the connection
                      if (!self->writes_.empty()) self->write_next();
                      done(std::string());
                    });
}

// `done` after write() returned (BytePipe's promise), in order with the other writes' completions:
// both go through the strand, and a later write's completion can only be queued after this.
void TcpPipe::complete_later(WriteDone done, std::string error) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), done = std::move(done), error = std::move(error)] {
    if (!self->closed_) done(error);
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
                                                  std::chrono::milliseconds timeout, Done done, SourceFn source) {
  auto self = std::shared_ptr<TcpConnector>(new TcpConnector(strand, std::move(done)));
  self->source_ = std::move(source);
  self->timer_.expires_after(timeout);
  self->timer_.async_wait([self](boost::system::error_code ec) {
    if (ec || !self->done_) return;
    self->finish(nullptr, "connect timed out");
  });
  // Numeric hosts resolve without a lookup; names ("localhost") go through the resolver.
  self->resolver_.async_resolve(host, std::to_string(port), tcp::resolver::numeric_service,
                                [self](boost::system::error_code ec, const tcp::resolver::results_type& results) {
                                  if (!self->done_) return;
                                  if (ec) return self->finish(nullptr, "cannot resolve: " + ec.message());
                                  self->connect_next(results, results.begin(), "no address");
                                });
  return self;
}

// Tries the resolved addresses in order (as asio::async_connect does), each on a fresh socket
// bound to the source address chosen for it.
void TcpConnector::connect_next(const tcp::resolver::results_type& results,
                                const tcp::resolver::results_type::const_iterator& it, const std::string& last_error) {
  if (!done_) return;
  if (it == results.end()) return finish(nullptr, "connect failed: " + last_error);
  const tcp::endpoint remote = it->endpoint();
  boost::system::error_code ec;
  socket_.close(ec);
  socket_.open(remote.protocol(), ec);
  if (!ec && source_) {
    const auto local = source_(remote.address());
    if (!local.is_unspecified()) {
#ifdef IP_BIND_ADDRESS_NO_PORT
      // Let connect() pick the port per destination: binding first would otherwise reserve an
      // ephemeral port per socket whatever the destination, and run out sooner. Best effort.
      const int one = 1;
      ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
      socket_.bind(tcp::endpoint(local, 0), ec);
      if (ec) ec = {};  // the address went away: connect from the kernel's choice rather than not at all
    }
  }
  if (ec) return connect_next(results, std::next(it), ec.message());
  socket_.async_connect(remote, [self = shared_from_this(), results, it](boost::system::error_code ec) {
    if (!self->done_) return;
    if (ec) return self->connect_next(results, std::next(it), ec.message());
    self->finish(std::make_shared<TcpPipe>(std::move(self->socket_)), {});
  });
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

namespace butter::host {

boost::asio::ip::address source_address(const std::vector<boost::asio::ip::address>& listen,
                                        const boost::asio::ip::address& remote) {
  for (const auto& a : listen) {
    if (a.is_v4() != remote.is_v4() || a.is_loopback() != remote.is_loopback()) continue;
    // The first of the right kind decides: a wildcard there means "the kernel's choice".
    return a.is_unspecified() ? boost::asio::ip::address() : a;
  }
  return {};
}

}  // namespace butter::host
