#include "transport/endpoint.hpp"

#include <charconv>

namespace butter::host {

static std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

static bool valid_scheme(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
          c == '.'))
      return false;
  return true;
}

std::optional<Endpoint> parse_endpoint(std::string_view uri, std::string& error) {
  auto sep = uri.find("://");
  if (sep == std::string_view::npos || !valid_scheme(uri.substr(0, sep))) {
    error = "endpoint '" + std::string(uri) + "' is not a URI of the form scheme://address";
    return std::nullopt;
  }
  Endpoint ep;
  ep.scheme = lower(uri.substr(0, sep));
  ep.rest = std::string(uri.substr(sep + 3));
  if (ep.rest.empty()) {
    error = "endpoint '" + std::string(uri) + "' has no address";
    return std::nullopt;
  }
  if (ep.scheme != "tcp") return ep;

  std::string_view rest = ep.rest;
  std::string_view host, port;
  if (rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      error = "endpoint '" + std::string(uri) + "' needs the form tcp://[ipv6]:port";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
    ep.host_is_ipv6_literal = true;
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || rest.find(':') != colon) {
      error = "endpoint '" + std::string(uri) + "' needs the form tcp://host:port (IPv6 in brackets)";
      return std::nullopt;
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of("/?# ") != std::string_view::npos) {
    error = "endpoint '" + std::string(uri) + "' has no valid host";
    return std::nullopt;
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    error = "endpoint '" + std::string(uri) + "' has no valid port (0..65535)";
    return std::nullopt;
  }
  ep.host = std::string(host);
  ep.port = static_cast<std::uint16_t>(value);
  return ep;
}

std::string format_tcp_endpoint(const std::string& address, std::uint16_t port) {
  if (address.find(':') != std::string::npos) return "tcp://[" + address + "]:" + std::to_string(port);
  return "tcp://" + address + ":" + std::to_string(port);
}

}  // namespace butter::host
