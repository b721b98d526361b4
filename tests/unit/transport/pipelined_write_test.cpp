// Writes in flight (BytePipe::pipelined): a TcpPipe and a SecurePipe take a write while earlier
// ones have not completed, put every byte on the wire in call order, and complete the writes in
// call order. The sender's socket buffer is made small and the receiver reads only afterwards, so
// that most writes find the socket full and wait behind one another.
#include "channel_fixture.hpp"
#include "transport/secure_pipe.hpp"
#include "transport/tcp_pipe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>

using namespace butter::host;
using namespace butter::test;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct PipelinedSockets {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::socket client{io}, server{io};

  PipelinedSockets() {
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    client.set_option(asio::socket_base::send_buffer_size(16 * 1024));
    server.set_option(asio::socket_base::receive_buffer_size(16 * 1024));
  }

  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(20));
    return done();
  }
};

// The writes' payloads: sizes around a record and a socket buffer, each with its own pattern.
std::vector<Bytes> pipelined_payloads(std::size_t n) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(pattern(60 * 1024 + 997 * i, static_cast<unsigned>(i + 1)));
  return out;
}

Bytes pipelined_concat(const std::vector<Bytes>& parts) {
  Bytes all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

}  // namespace

TEST_CASE("a TcpPipe takes writes while earlier ones are in flight and sends and completes them in order") {
  PipelinedSockets s;
  auto pipe = std::make_shared<TcpPipe>(std::move(s.client));
  REQUIRE(pipe->pipelined());
  std::string closed;
  pipe->start({[](std::span<std::uint8_t>) {}, [&](const std::string& why) { closed = why; }, nullptr});

  const auto payloads = pipelined_payloads(40);  // about 3 MiB against a 16 KiB socket buffer
  std::vector<std::size_t> completed;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    // Two buffers per write, as Connection writes a frame's head and payload.
    const auto& p = payloads[i];
    pipe->write({asio::buffer(p.data(), 100), asio::buffer(p.data() + 100, p.size() - 100)},
                [&completed, i](const std::string& error) {
                  CHECK(error.empty());
                  completed.push_back(i);
                });
  }
  CHECK(completed.empty());  // never from inside write()

  // Read everything the pipe sent, running its handlers in between.
  const Bytes expected = pipelined_concat(payloads);
  Bytes received;
  s.server.non_blocking(true);
  REQUIRE(s.run_until([&] {
    std::uint8_t buf[65536];
    boost::system::error_code ec;
    for (std::size_t n; (n = s.server.read_some(asio::buffer(buf), ec)) > 0 && !ec;)
      received.insert(received.end(), buf, buf + n);
    return received.size() >= expected.size() && completed.size() == payloads.size();
  }));
  CHECK(received.size() == expected.size());
  CHECK((received == expected));  // not decomposed: Catch would print megabytes
  std::vector<std::size_t> in_order(payloads.size());
  for (std::size_t i = 0; i < in_order.size(); ++i) in_order[i] = i;
  CHECK(completed == in_order);
  CHECK(closed.empty());
}

TEST_CASE("a SecurePipe seals writes made while earlier ones are in flight and delivers them in order") {
  PipelinedSockets s;
  auto a = std::make_shared<SecurePipe>(std::make_shared<TcpPipe>(std::move(s.client)), make_identity(), true, false);
  auto b = std::make_shared<SecurePipe>(std::make_shared<TcpPipe>(std::move(s.server)), make_identity(), false, false);
  REQUIRE(a->pipelined());
  Bytes received;
  std::string a_closed, b_closed;
  a->start({[](std::span<std::uint8_t>) {}, [&](const std::string& why) { a_closed = why; }, nullptr});
  b->start({[&](std::span<std::uint8_t> bytes) { received.insert(received.end(), bytes.begin(), bytes.end()); },
            [&](const std::string& why) { b_closed = why; }, nullptr});

  // The first three before the handshake is done (held, then sealed in order), the rest after it.
  const auto payloads = pipelined_payloads(24);
  std::vector<std::size_t> completed;
  auto write = [&](std::size_t i) {
    a->write({asio::buffer(payloads[i])}, [&completed, i](const std::string& error) {
      CHECK(error.empty());
      completed.push_back(i);
    });
  };
  for (std::size_t i = 0; i < 3; ++i) write(i);
  REQUIRE(s.run_until([&] { return a->established() && b->established(); }));
  for (std::size_t i = 3; i < payloads.size(); ++i) write(i);

  const Bytes expected = pipelined_concat(payloads);
  REQUIRE(s.run_until([&] { return received.size() >= expected.size() && completed.size() == payloads.size(); }));
  CHECK(received.size() == expected.size());
  CHECK((received == expected));  // not decomposed: Catch would print megabytes
  std::vector<std::size_t> in_order(payloads.size());
  for (std::size_t i = 0; i < in_order.size(); ++i) in_order[i] = i;
  CHECK(completed == in_order);
  CHECK(a_closed.empty());
  CHECK(b_closed.empty());
}
