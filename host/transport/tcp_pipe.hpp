// TcpPipe: a BytePipe over a connected TCP socket, and TcpConnector, which resolves a host name
// and connects with a deadline. Both live on the node's strand. A TcpPipe holds no read buffer
// while it waits: it reads into the thread's ReadBuffer (read_buffer.hpp) once the socket is readable.
#pragma once
#include "core/executor.hpp"
#include "transport/byte_pipe.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
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
  std::string local_address() const override { return local_; }
  bool pipelined() const override { return true; }

 private:
  struct PendingWrite {
    std::vector<boost::asio::const_buffer> buffers;  // what is left to write
    WriteDone done;
  };
  void read_more();
  void read_ready();
  void end(const boost::system::error_code& ec);
  void write_next();
  void complete_later(WriteDone done, std::string error);

  boost::asio::ip::tcp::socket socket_;
  Handlers handlers_;
  std::string remote_, local_;
  bool closed_ = false;
  // Writes the socket had no room for, oldest first; the front one is being written.
  std::deque<PendingWrite> writes_;
};

class TcpConnector : public std::enable_shared_from_this<TcpConnector> {
 public:
  // Called exactly once (unless cancel() came first): a pipe, or nullptr and the reason.
  using Done = std::function<void(std::shared_ptr<TcpPipe>, const std::string& error)>;
  // Picks the local address an outgoing socket is bound to before it connects to `remote`
  // (the node's listen address, see source_address()); unspecified = the kernel's choice.
  using SourceFn = std::function<boost::asio::ip::address(const boost::asio::ip::address& remote)>;

  static std::shared_ptr<TcpConnector> start(const Strand& strand, const std::string& host, std::uint16_t port,
                                             std::chrono::milliseconds timeout, Done done, SourceFn source = {});
  // Abandons the attempt; `done` will not be called.
  void cancel();

 private:
  TcpConnector(const Strand& strand, Done done);
  void finish(std::shared_ptr<TcpPipe> pipe, const std::string& error);
  void connect_next(const boost::asio::ip::tcp::resolver::results_type& results,
                    const boost::asio::ip::tcp::resolver::results_type::const_iterator& it,
                    const std::string& last_error);

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  Done done_;
  SourceFn source_;
};

// The local address to bind an outgoing connection to `remote` to, given the addresses this node
// listens on: the first listen address of the same family and the same kind (loopback or not)
// when it is a specific address, so that the peer sees the connection come from the address the
// node is known by (several nodes of one machine on 127.0.x.y each dial from their own; on a
// multi-homed host the node dials from the address it announced). Unspecified (the kernel's
// choice) when the node listens on a wildcard address or on none of that kind.
boost::asio::ip::address source_address(const std::vector<boost::asio::ip::address>& listen,
                                        const boost::asio::ip::address& remote);

}  // namespace butter::host
