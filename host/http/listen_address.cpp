#include "http/listen_address.hpp"

#include <charconv>

namespace butter::host::http_detail {

std::optional<HostPort> split_host_port(const std::string& text, std::string& why) {
  HostPort hp;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why = "expected [IPv6]:port";
      return std::nullopt;
    }
    hp.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      why = "expected host:port";
      return std::nullopt;
    }
    hp.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (hp.host.find(':') != std::string::npos) {
      why = "an IPv6 address must be bracketed, as in [::1]:8080";
      return std::nullopt;
    }
  }
  if (hp.host.empty()) {
    why = "the host is empty";
    return std::nullopt;
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    why = "the port must be a number from 0 to 65535";
    return std::nullopt;
  }
  hp.port = static_cast<std::uint16_t>(value);
  return hp;
}

std::string http_url_for(const std::string& address, bool v6, std::uint16_t port) {
  std::string host = address;
  if (v6) {
    if (host == "::") host = "::1";
    host = "[" + host + "]";
  } else if (host == "0.0.0.0") {
    host = "127.0.0.1";
  }
  return "http://" + host + ":" + std::to_string(port);
}

}  // namespace butter::host::http_detail
