// Endpoint URIs: "tcp://127.0.0.1:7000", "tcp://[::1]:7000", "tcp://localhost:7000", or any other
// "scheme://rest" that a registered Dialer understands ("relay://...").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace butter::host {

struct Endpoint {
  std::string scheme;  // lower case, e.g. "tcp"
  std::string rest;    // everything after "scheme://"
  // For tcp only: the host (without IPv6 brackets) and port. The host may be a name to resolve.
  std::string host;
  std::uint16_t port = 0;
  bool host_is_ipv6_literal = false;
};

// Parses `uri`. For tcp the host and a port (0..65535) are required. Returns nullopt with `error`
// set when the text is not an endpoint.
std::optional<Endpoint> parse_endpoint(std::string_view uri, std::string& error);

// "tcp://1.2.3.4:7000" or "tcp://[::1]:7000" for an address in text form.
std::string format_tcp_endpoint(const std::string& address, std::uint16_t port);

}  // namespace butter::host
