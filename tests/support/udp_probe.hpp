// UdpProbe: one IPv4 UDP socket for tests that play a stranger on a discovery LAN — bound to an
// address of the test's choosing (127.0.0.x, or an address a netns host was given), sending to a
// multicast group or a unicast address, and reading what comes back with a deadline. Plain POSIX
// calls, so that a thread that joined a network namespace (setns) creates it there.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace butter::test {

class UdpProbe {
 public:
  struct Received {
    std::vector<std::uint8_t> data;
    std::string from_address;
    std::uint16_t from_port = 0;
  };

  // Binds to `address`:`port` (0: any free port); multicast goes out of `multicast_interface`.
  UdpProbe(const std::string& address, std::uint16_t port, const std::string& multicast_interface) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    try {
      const int on = 1;
      ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
      sockaddr_in a = to_sockaddr(address, port);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("bind " + address);
      in_addr ifa{};
      ::inet_pton(AF_INET, multicast_interface.c_str(), &ifa);
      if (::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa) != 0) fail("IP_MULTICAST_IF");
    } catch (...) {
      ::close(fd_);  // the destructor does not run for a constructor that throws
      throw;
    }
  }
  ~UdpProbe() {
    if (fd_ >= 0) ::close(fd_);
  }
  UdpProbe(const UdpProbe&) = delete;
  UdpProbe& operator=(const UdpProbe&) = delete;

  // Joins `group` on the interface of address `interface` (to hear a node's own PINGs).
  void join(const std::string& group, const std::string& interface) {
    ip_mreq m{};
    ::inet_pton(AF_INET, group.c_str(), &m.imr_multiaddr);
    ::inet_pton(AF_INET, interface.c_str(), &m.imr_interface);
    if (::setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) != 0) fail("IP_ADD_MEMBERSHIP");
  }

  void send_to(const std::string& address, std::uint16_t port, const std::vector<std::uint8_t>& bytes) {
    sockaddr_in a = to_sockaddr(address, port);
    if (::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
      fail("sendto " + address);
  }

  // The next datagram, or nothing once `timeout` passes without one (0: only what is queued).
  std::optional<Received> receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    Received r;
    r.data.resize(65536);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fd_, r.data.data(), r.data.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return std::nullopt;
    r.data.resize(static_cast<std::size_t>(n));
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &from.sin_addr, text, sizeof text);
    r.from_address = text;
    r.from_port = ntohs(from.sin_port);
    return r;
  }

  // Every datagram already queued, without waiting.
  std::vector<Received> drain() {
    std::vector<Received> all;
    while (auto r = receive(std::chrono::milliseconds(0))) all.push_back(std::move(*r));
    return all;
  }

 private:
  static sockaddr_in to_sockaddr(const std::string& address, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1)
      throw std::runtime_error("not an IPv4 address: " + address);
    return a;
  }
  [[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

  int fd_ = -1;
};

}  // namespace butter::test
