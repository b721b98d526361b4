// Blocking raw clients that play broken or hostile peers against a Transport over loopback:
// RawClient speaks bytes only (optionally from another loopback source address, e.g. 127.0.0.2,
// so that the server sees a different remote IP); RawSecureClient runs the secure handshake by
// hand and can say HELLO and send a request. Reads give up after a receive timeout, so a test
// that goes wrong fails instead of hanging. Free of Catch: the attack benchmark uses them too
// (failures throw std::runtime_error, which a test reports as a failure).
#pragma once
#include "transport/frame.hpp"
#include "transport/hello.hpp"
#include "transport/secure_channel.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace butter::test {

using namespace butter::host;

struct RawClient {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s{io};
  // Connects to the port of `uri` on 127.0.0.1, from `source` (an address of lo) when given.
  explicit RawClient(const std::string& uri, const std::string& source = {}) {
    namespace asio = boost::asio;
    auto port = static_cast<std::uint16_t>(std::stoi(uri.substr(uri.rfind(':') + 1)));
    s.open(asio::ip::tcp::v4());
    if (!source.empty()) s.bind({asio::ip::make_address(source), 0});
    timeval tv{10, 0};  // no read waits longer than this: a broken test fails, it does not hang
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  void write(const std::vector<std::uint8_t>& b) { boost::asio::write(s, boost::asio::buffer(b)); }
  // What a plaintext-mode node sends first: the frame-level tests talk to plaintext nodes.
  void write_plaintext_preamble() { write(SecureChannel(nullptr, true, true).start()); }
  // Reads until the server closes; true if it did (false after the receive timeout).
  bool closed_by_server() {
    std::array<std::uint8_t, 4096> buf;
    boost::system::error_code ec;
    while (!ec) s.read_some(boost::asio::buffer(buf), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }
};

// A raw client that runs the secure handshake by hand (blocking), then sends what the test says.
// If the server closes during the handshake, ch.established() stays false.
struct RawSecureClient : RawClient {
  std::shared_ptr<const Identity> identity;
  SecureChannel ch;
  FrameDecoder decoder;

  explicit RawSecureClient(const std::string& uri, std::shared_ptr<const Identity> id = nullptr,
                           const std::string& source = {})
      : RawClient(uri, source),
        identity(id ? std::move(id) : std::make_shared<const Identity>(Identity::generate())),
        ch(identity, true, false) {
    write(ch.start());
    std::array<std::uint8_t, 4096> buf;
    while (!ch.established() && !ch.failed()) {
      boost::system::error_code ec;
      auto n = s.read_some(boost::asio::buffer(buf), ec);
      if (ec) return;
      std::vector<std::uint8_t> wire, plain;
      ch.feed({buf.data(), n}, wire, plain);
      if (!wire.empty()) write(wire);
      if (!plain.empty()) decoder.feed(plain);
    }
  }
  std::vector<std::uint8_t> sealed(const Frame& f) {
    std::vector<std::uint8_t> wire;
    if (!ch.seal(encode_frame(f), wire)) throw std::runtime_error("sealing a frame failed: " + ch.error());
    return wire;
  }
  std::vector<std::uint8_t> sealed_hello(const NodeId& claimed) {
    Hello h;
    h.id = claimed;
    Frame f;
    f.type = FrameType::kHello;
    f.payload = encode_hello(h);
    return sealed(f);
  }
  // Says HELLO with its own id.
  void hello() { write(sealed_hello(identity->id())); }
  // Sends a request and reads until its response: the response frame, or nullopt when the
  // server closed (or said nothing within the receive timeout).
  std::optional<Frame> request(std::uint64_t request_id, const std::string& protocol, const std::string& payload) {
    Frame f;
    f.type = FrameType::kRequest;
    f.request_id = request_id;
    f.protocol = protocol;
    f.payload.assign(payload.begin(), payload.end());
    write(sealed(f));
    std::array<std::uint8_t, 4096> buf;
    // Whatever else the server sends (its plugins' own requests) does not extend the wait.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      FrameView v;
      for (auto st = decoder.next(v); st != FrameDecoder::Status::kNeedMore; st = decoder.next(v)) {
        if (st == FrameDecoder::Status::kError) return std::nullopt;
        if (v.type == FrameType::kResponse && v.request_id == request_id) return v.to_frame();
      }
      boost::system::error_code ec;
      auto n = s.read_some(boost::asio::buffer(buf), ec);
      if (ec) return std::nullopt;
      std::vector<std::uint8_t> wire, plain;
      if (!ch.feed({buf.data(), n}, wire, plain)) return std::nullopt;
      if (!plain.empty()) decoder.feed(plain);
    }
    return std::nullopt;
  }
};

}  // namespace butter::test
