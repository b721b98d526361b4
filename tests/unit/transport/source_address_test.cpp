// Outgoing TCP connections come from the node's listen address when it listens on a specific
// one (several nodes on one machine, each on its own 127.x.y.z, look like separate hosts to their
// peers and to their per-address limits); a wildcard listener leaves the choice to the kernel.
#include "harness.hpp"
#include "transport/tcp_pipe.hpp"

using namespace butter::test;
namespace ip = boost::asio::ip;

namespace {
ip::address a(const char* s) { return ip::make_address(s); }
}  // namespace

TEST_CASE("source address: the first listen address of the destination's family and kind", "[transport]") {
  CHECK(source_address({a("127.0.3.7")}, a("127.0.0.1")) == a("127.0.3.7"));
  CHECK(source_address({a("192.0.2.5"), a("127.0.3.7")}, a("127.0.0.1")) == a("127.0.3.7"));
  CHECK(source_address({a("127.0.3.7"), a("192.0.2.5")}, a("198.51.100.1")) == a("192.0.2.5"));
  // No listen address of that kind: never a loopback source towards another host, nor the reverse.
  CHECK(source_address({a("127.0.3.7")}, a("198.51.100.1")).is_unspecified());
  CHECK(source_address({a("192.0.2.5")}, a("127.0.0.1")).is_unspecified());
  // Wildcards and other families: the kernel's choice.
  CHECK(source_address({a("0.0.0.0")}, a("198.51.100.1")).is_unspecified());
  CHECK(source_address({a("0.0.0.0"), a("192.0.2.5")}, a("198.51.100.1")).is_unspecified());
  CHECK(source_address({a("::1")}, a("127.0.0.1")).is_unspecified());
  CHECK(source_address({a("::1")}, a("::1")) == a("::1"));
  CHECK(source_address({}, a("127.0.0.1")).is_unspecified());
}

namespace {
// A node listening on `listen` sends one request to another node on 127.0.0.1: the remote address
// the other node saw for it.
std::string seen_from(const std::string& listen) {
  IoThread t;
  TestNode a(t.io, [&](TransportOptions& o) { o.listen = {listen}; });
  TestNode b(t.io, {}, echo_handler());
  auto r = a.wait_outcome(a.request(b.uri, "/echo/1", "hi"));
  REQUIRE(r.status == BUTTER_OK);
  return b.on([&] {
    for (const auto& p : b.transport->peers())
      if (p.id == a.id) return p.remote_address;
    return std::string();
  });
}
}  // namespace

TEST_CASE("a node listening on 127.0.3.7 dials from 127.0.3.7", "[transport]") {
  CHECK(seen_from("tcp://127.0.3.7:0").rfind("tcp://127.0.3.7:", 0) == 0);
}

TEST_CASE("a node listening on a wildcard address dials from the kernel's choice", "[transport]") {
  CHECK(seen_from("tcp://0.0.0.0:0").rfind("tcp://127.0.0.1:", 0) == 0);  // the kernel's source towards 127.0.0.1
}
