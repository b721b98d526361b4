// Node::dial_bootstrap (host/node/node.cpp): a bootstrap peer that cannot be reached is tried
// again after 1 s, then 2 s (doubling, plus up to a quarter of jitter). The "peer" here is a bare
// loopback TCP socket that accepts each connection and closes it at once, so that every dial
// fails; the test records when each dial arrives. It waits on the socket with a deadline.
#include "node/node.hpp"
#include "node/runtime.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

using namespace butter;
using namespace butter::test;
using namespace std::chrono_literals;

namespace {

using BootClock = std::chrono::steady_clock;

// A listening loopback socket that hangs up on everyone who connects.
struct RefusingPeer {
  int fd = -1;
  std::uint16_t port = 0;
  RefusingPeer() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  ~RefusingPeer() { ::close(fd); }
  RefusingPeer(const RefusingPeer&) = delete;
  RefusingPeer& operator=(const RefusingPeer&) = delete;

  // Accepts (and closes) connections until `n` were seen in all or `deadline` passes; returns
  // when each arrived.
  std::vector<BootClock::time_point> accept_until(std::size_t n, BootClock::time_point deadline) {
    std::vector<BootClock::time_point> at;
    while (at.size() < n && BootClock::now() < deadline) {
      pollfd pfd{fd, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - BootClock::now());
      if (::poll(&pfd, 1, static_cast<int>(std::max<long>(left.count(), 0))) <= 0) continue;
      int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      at.push_back(BootClock::now());
      ::close(c);
    }
    return at;
  }
};

}  // namespace

TEST_CASE("an unreachable bootstrap peer is dialled again after 1 s, then after 2 s") {
  RefusingPeer peer;
  host::Runtime rt(1);
  host::PluginRegistry registry;
  const auto started = BootClock::now();
  TestNode n(rt, registry,
             loopback_manifest("boot", "", "bootstrap = [\"tcp://127.0.0.1:" + std::to_string(peer.port) + "\"]\n"));
  const auto at = peer.accept_until(3, started + 15s);
  REQUIRE(at.size() == 3);
  // The first dial comes at start; each later one after the doubled delay (jitter only adds).
  CHECK(at[0] - started < 1s);
  CHECK(at[1] - at[0] >= 1s);
  CHECK(at[2] - at[1] >= 2s);
  // Not much later than the delay plus its jitter (a quarter), with room for a loaded machine.
  CHECK(at[1] - at[0] < 1250ms + 2s);
  CHECK(at[2] - at[1] < 2500ms + 2s);
}
