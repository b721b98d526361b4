// Tiny network helpers that this test executable runs inside the bed's namespaces by executing
// itself again with "--bed-helper <name> ..." as its first arguments (see helpers.cpp), so the bed
// tests need nothing beyond iproute2 and ping.
//
//   udp-recv <port> <timeout_ms> [<group> <iface_ip>]
//       Binds 0.0.0.0:<port> (joining multicast <group> on the interface with <iface_ip> when
//       given), prints "ready", then waits for one datagram and prints "from <ip>:<port> <payload>".
//       Exit 0 when one came, 3 on timeout, 2 on a socket error.
//   udp-send <dest> <port> <ttl> <count> <interval_ms> [<iface_ip>]
//       Sends <count> datagrams "hello <n>" to <dest>:<port>, with multicast TTL and unicast TTL
//       <ttl>, out of the interface with <iface_ip> for multicast when given. Exit 0, or 2.
//   tcp-accept <ip> <port> <timeout_ms>
//       Listens on <ip>:<port> (SO_REUSEADDR/SO_REUSEPORT), prints "ready", then "from <ip>:<port>"
//       for each connection accepted until the timeout. Exit 0 when one came, 3 when none, 2 on error.
//   tcp-connect <local_ip> <local_port> <dest> <port> <timeout_ms>
//       Connects from <local_ip>:<local_port> (SO_REUSEADDR/SO_REUSEPORT) to <dest>:<port>; prints
//       "connected" (exit 0) or "failed: <why>" (exit 3); 2 on a socket error.
//   ignore-term <seconds>
//       Ignores SIGTERM and sleeps (at most 600 s); for tests of the tear-down.
#pragma once
#include <string>
#include <vector>

namespace butter::test::bed {

// argv running helper `name` with `args` (this executable, "--bed-helper", name, args...).
std::vector<std::string> helper_argv(const std::string& name, const std::vector<std::string>& args);

}  // namespace butter::test::bed
