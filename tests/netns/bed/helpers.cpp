// The "--bed-helper" modes of this executable (see helpers.hpp). Catch2 owns main(), so a static
// initializer looks at the command line before main runs and, in helper mode, runs the helper and
// exits without ever reaching Catch2.
#include "helpers.hpp"

#include "support/process.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace butter::test::bed {

std::vector<std::string> helper_argv(const std::string& name, const std::vector<std::string>& args) {
  std::vector<std::string> argv{self_exe(), "--bed-helper", name};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

namespace {

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

int fail(const std::string& what) {
  say(what + ": " + std::strerror(errno));
  return 2;
}

bool parse_ip(const std::string& text, in_addr& out) { return ::inet_pton(AF_INET, text.c_str(), &out) == 1; }

int udp_recv(const std::vector<std::string>& a) {
  if (a.size() != 2 && a.size() != 4) {
    say("usage: udp-recv <port> <timeout_ms> [<group> <iface_ip>]");
    return 2;
  }
  const int port = std::atoi(a[0].c_str());
  const int timeout_ms = std::clamp(std::atoi(a[1].c_str()), 0, 60000);
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return fail("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail("bind");
  if (a.size() == 4) {
    ip_mreq mreq{};
    if (!parse_ip(a[2], mreq.imr_multiaddr) || !parse_ip(a[3], mreq.imr_interface)) {
      say("bad address");
      return 2;
    }
    if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) return fail("IP_ADD_MEMBERSHIP");
  }
  say("ready");
  pollfd p{fd, POLLIN, 0};
  int n = ::poll(&p, 1, timeout_ms);
  if (n < 0) return fail("poll");
  if (n == 0) {
    say("timeout");
    return 3;
  }
  char buf[1500];
  sockaddr_in from{};
  socklen_t from_len = sizeof from;
  ssize_t got = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
  if (got < 0) return fail("recvfrom");
  char ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
  say(std::string("from ") + ip + ":" + std::to_string(ntohs(from.sin_port)) + " " +
      std::string(buf, static_cast<std::size_t>(got)));
  ::close(fd);
  return 0;
}

int udp_send(const std::vector<std::string>& a) {
  if (a.size() != 5 && a.size() != 6) {
    say("usage: udp-send <dest> <port> <ttl> <count> <interval_ms> [<iface_ip>]");
    return 2;
  }
  sockaddr_in dest{};
  dest.sin_family = AF_INET;
  dest.sin_port = htons(static_cast<std::uint16_t>(std::atoi(a[1].c_str())));
  if (!parse_ip(a[0], dest.sin_addr)) {
    say("bad destination");
    return 2;
  }
  const int ttl = std::clamp(std::atoi(a[2].c_str()), 1, 255);
  const int count = std::clamp(std::atoi(a[3].c_str()), 1, 100);
  const int interval_ms = std::clamp(std::atoi(a[4].c_str()), 0, 1000);
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return fail("socket");
  if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0) return fail("IP_MULTICAST_TTL");
  if (::setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0) return fail("IP_TTL");
  if (a.size() == 6) {
    in_addr iface{};
    if (!parse_ip(a[5], iface)) {
      say("bad interface address");
      return 2;
    }
    if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof iface) != 0) return fail("IP_MULTICAST_IF");
  }
  for (int i = 0; i < count; ++i) {
    const std::string msg = "hello " + std::to_string(i);
    if (::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&dest), sizeof dest) < 0) {
      return fail("sendto");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  say("sent " + std::to_string(count));
  ::close(fd);
  return 0;
}

// tcp-accept: a listener (SO_REUSEADDR/SO_REUSEPORT, as nodes have) that reports each peer.
int tcp_accept(const std::vector<std::string>& a) {
  if (a.size() != 3) {
    say("usage: tcp-accept <ip> <port> <timeout_ms>");
    return 2;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(a[1].c_str())));
  if (!parse_ip(a[0], addr.sin_addr)) {
    say("bad address");
    return 2;
  }
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::clamp(std::atoi(a[2].c_str()), 0, 60000));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return fail("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail("bind");
  if (::listen(fd, 16) != 0) return fail("listen");
  say("ready");
  int accepted = 0;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0) return fail("poll");
    if (n == 0) break;
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    const int c = ::accept(fd, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (c < 0) return fail("accept");
    char ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
    say(std::string("from ") + ip + ":" + std::to_string(ntohs(from.sin_port)));
    ++accepted;
    ::close(c);
  }
  ::close(fd);
  return accepted > 0 ? 0 : 3;
}

// tcp-connect: one connection from a fixed local address and port (SO_REUSEADDR/SO_REUSEPORT).
int tcp_connect(const std::vector<std::string>& a) {
  if (a.size() != 5) {
    say("usage: tcp-connect <local_ip> <local_port> <dest> <port> <timeout_ms>");
    return 2;
  }
  sockaddr_in local{}, dest{};
  local.sin_family = dest.sin_family = AF_INET;
  local.sin_port = htons(static_cast<std::uint16_t>(std::atoi(a[1].c_str())));
  dest.sin_port = htons(static_cast<std::uint16_t>(std::atoi(a[3].c_str())));
  if (!parse_ip(a[0], local.sin_addr) || !parse_ip(a[2], dest.sin_addr)) {
    say("bad address");
    return 2;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return fail("bind");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&dest), sizeof dest) != 0 && errno != EINPROGRESS)
    return fail("connect");
  pollfd p{fd, POLLOUT, 0};
  const int n = ::poll(&p, 1, std::clamp(std::atoi(a[4].c_str()), 0, 60000));
  if (n < 0) return fail("poll");
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  ::close(fd);
  if (n == 0) {
    say("failed: timeout");
    return 3;
  }
  if (err != 0) {
    say(std::string("failed: ") + std::strerror(err));
    return 3;
  }
  say("connected");
  return 0;
}

int ignore_term(const std::vector<std::string>& a) {
  const int seconds = std::clamp(a.empty() ? 60 : std::atoi(a[0].c_str()), 0, 600);
  ::signal(SIGTERM, SIG_IGN);
  say("ready");
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  return 0;
}

// Runs a helper when the command line asks for one; returns normally otherwise.
struct HelperMode {
  HelperMode() {
    std::vector<std::string> args;
    std::string cmdline = file_contents("/proc/self/cmdline");
    std::size_t start = 0;
    while (start < cmdline.size()) {
      std::size_t end = cmdline.find('\0', start);
      if (end == std::string::npos) end = cmdline.size();
      args.push_back(cmdline.substr(start, end - start));
      start = end + 1;
    }
    if (args.size() < 3 || args[1] != "--bed-helper") return;
    const std::string name = args[2];
    std::vector<std::string> rest(args.begin() + 3, args.end());
    int rc;
    if (name == "udp-recv")
      rc = udp_recv(rest);
    else if (name == "udp-send")
      rc = udp_send(rest);
    else if (name == "tcp-accept")
      rc = tcp_accept(rest);
    else if (name == "tcp-connect")
      rc = tcp_connect(rest);
    else if (name == "ignore-term")
      rc = ignore_term(rest);
    else {
      say("unknown helper " + name);
      rc = 2;
    }
    std::fflush(stdout);
    std::_Exit(rc);
  }
};

const HelperMode helper_mode;

}  // namespace
}  // namespace butter::test::bed
