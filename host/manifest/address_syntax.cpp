// Syntax of host:port and endpoint URIs in the manifest.
#include "manifest/address_syntax.hpp"

#include <algorithm>

namespace butter::host::manifest_detail {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
// Schemes are case-insensitive (RFC 3986), as parse_endpoint() treats them: "TCP://" is tcp.
bool is_tcp(std::string_view s) {
  return s.size() == 3 && (s[0] | 0x20) == 't' && (s[1] | 0x20) == 'c' && (s[2] | 0x20) == 'p';
}

}  // namespace

std::string host_port_problem(std::string_view text) {
  std::string_view host;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return "unterminated '[' in the host";
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (host.empty()) return "empty host";
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.' || c == '%';
        }))
      return "invalid IPv6 address in brackets";
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return "expected host:port";
    host = text.substr(0, colon);
    rest = text.substr(colon);
    if (host.empty()) return "empty host";
    if (host.find(':') != std::string_view::npos) return "an IPv6 host must be in brackets, e.g. [::1]:7000";
    if (std::any_of(host.begin(), host.end(),
                    [](char c) { return is_space(c) || c == '/' || c == '@' || c == '?' || c == '#'; }))
      return "invalid character in the host";
  }
  if (rest.empty() || rest.front() != ':') return "expected host:port";
  const std::string_view port = rest.substr(1);
  if (port.empty()) return "missing port";
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit)) return "port must be 0-65535";
  unsigned value = 0;
  for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value > 65535) return "port must be 0-65535";
  return {};
}

std::string host_name_problem(std::string_view text) {
  if (text.empty()) return "empty host";
  if (text.front() == '[') {
    if (text.back() != ']' || text.size() < 3) return "unterminated '[' in the host";
    const std::string_view v6 = text.substr(1, text.size() - 2);
    if (!std::all_of(v6.begin(), v6.end(), [](char c) {
          return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
        }))
      return "invalid IPv6 address in brackets";
    return {};
  }
  if (text.find(':') != std::string_view::npos)
    return "a name without a port (an IPv6 address in brackets, e.g. [::1])";
  if (text.size() > 253) return "longer than 253 characters";
  if (!std::all_of(text.begin(), text.end(),
                   [](char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.'; }))
    return "only letters, digits, '-', '_' and '.' may appear in a host name";
  return {};
}

std::string endpoint_uri_problem(std::string_view text) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return "expected a URI like \"tcp://host:port\"";
  const std::string_view scheme = text.substr(0, sep);
  if (!is_alpha(scheme.front()) || !std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
      }))
    return "invalid URI scheme \"" + std::string(scheme) + "\"";
  const std::string_view rest = text.substr(sep + 3);
  if (rest.empty()) return "nothing after \"" + std::string(scheme) + "://\"";
  if (is_tcp(scheme)) {
    std::string problem = host_port_problem(rest);
    if (!problem.empty()) return problem + " (tcp endpoints are tcp://host:port)";
  } else if (std::any_of(rest.begin(), rest.end(), is_space)) {
    return "blank in the URI";
  }
  return {};
}

}  // namespace butter::host::manifest_detail
