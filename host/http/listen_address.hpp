// "host:port" for the HTTP endpoint: split it, and format the URL clients should use.
// Internal to the http area.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace butter::host::http_detail {

struct HostPort {
  std::string host;  // without brackets: "127.0.0.1", "::1", "localhost"
  std::uint16_t port = 0;
};

// "127.0.0.1:8080", "[::1]:0", "localhost:80". nullopt (with `why`) when it is not host:port.
std::optional<HostPort> split_host_port(const std::string& text, std::string& why);

// The URL a local client reaches a listener on: a wildcard address becomes its loopback
// ("0.0.0.0" -> 127.0.0.1, "::" -> [::1]), IPv6 is bracketed. `address` as Asio prints it.
std::string http_url_for(const std::string& address, bool v6, std::uint16_t port);

}  // namespace butter::host::http_detail
