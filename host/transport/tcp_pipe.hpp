// TcpPipe: a BytePipe over a connected TCP socket, and TcpConnector, which resolves a host name
// and connects with a deadline. Both live on the node's strand. A TcpPipe holds no read buffer
// while it waits: it reads into the thread's ReadBuffer (read_buffer.hpp) once the socket is readable.
#pragma once
#include "core/executor.hpp"
#include "transport/byte_pipe.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace butter::host {

class TcpPipe : public BytePipe, public std::enable_shared_from_this<TcpPipe> {
 public:
  explicit TcpPipe(boost::asio::ip::tcp::socket socket);
  ~TcpPipe() override;

  void start(Handlers handlers) override;
  void write(std::vector<boost::asio::const_buffer> buffers, WriteDone done) override;
  void close() override;
  std::string remote_address() const override { return remote_; }

 private:
  void read_more();
  void read_ready();
  void end(const boost::system::error_code& ec);

  boost::asio::ip::tcp::socket socket_;
  Handlers handlers_;
  std::string remote_;
  bool closed_ = false;
};

class TcpConnector : public std::enable_shared_from_this<TcpConnector> {
 public:
  // Called exactly once (unless cancel() came first): a pipe, or nullptr and the reason.
  using Done = std::function<void(std::shared_ptr<TcpPipe>, const std::string& error)>;

  static std::shared_ptr<TcpConnector> start(const Strand& strand, const std::string& host, std::uint16_t port,
                                             std::chrono::milliseconds timeout, Done done);
  // Abandons the attempt; `done` will not be called.
  void cancel();

 private:
  TcpConnector(const Strand& strand, Done done);
  void finish(std::shared_ptr<TcpPipe> pipe, const std::string& error);

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  Done done_;
};

}  // namespace butter::host
