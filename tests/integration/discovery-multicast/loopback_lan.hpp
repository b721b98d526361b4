// What the discovery-multicast integration tests share: a multicast port per test run and the
// plugin tables of a loopback "LAN" (multicast on interface 127.0.0.1 only).
#pragma once
#include "support/test_node.hpp"

#include <cstdint>
#include <random>
#include <string>

namespace butter::test {

// A port of its own per test run, so that parallel tests do not hear each other.
inline std::uint16_t fresh_discovery_port() {
  std::random_device rd;
  return static_cast<std::uint16_t>(20000 + rd() % 20000);
}

// knownhosts-quality plus discovery-multicast on `port`, with timings short enough for tests;
// the extras are more config lines for each.
inline std::string lan_plugins(std::uint16_t port, const std::string& kh_extra = "",
                               const std::string& discovery_extra = "") {
  return plugin_table("peers", "butter.knownhosts.quality", "refresh_ms = 200\ntimeout_ms = 500\n" + kh_extra) +
         plugin_table("discovery", "butter.discovery.multicast",
                      "interface = \"127.0.0.1\"\nport = " + std::to_string(port) + "\nfast_ms = 50\nslow_ms = 2000\n" +
                          discovery_extra);
}

}  // namespace butter::test
