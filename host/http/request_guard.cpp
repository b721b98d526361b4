#include "http/request_guard.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <charconv>

namespace butter::host::http_detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequal(std::string_view a, std::string_view b) { return a.size() == b.size() && lower(a) == lower(b); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string unbracket(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return lower(host);
}

// "host", "host:port", "[v6]", "[v6]:port" -> host (lowercase, unbracketed) and port (nullopt when
// absent). nullopt when malformed: empty host, a bare IPv6 address, a port that is not 0-65535, or
// anything that belongs in a URL but not in an authority (user info, path, spaces).
struct Authority {
  std::string host;
  std::optional<std::uint16_t> port;
  bool ip_literal = false;
};

std::optional<Authority> parse_authority(std::string_view text) {
  Authority a;
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      has_port = true;
    }
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address_v6(std::string(host), ec);
    if (ec) return std::nullopt;
    a.host = lower(addr.to_string());
    a.ip_literal = true;
  } else {
    auto colon = text.find(':');
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return std::nullopt;
    for (char c : host) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_';
      if (!ok) return std::nullopt;
    }
    a.host = lower(host);
    boost::system::error_code ec;
    boost::asio::ip::make_address_v4(a.host, ec);
    a.ip_literal = !ec;
  }
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) return std::nullopt;
    a.port = static_cast<std::uint16_t>(value);
  }
  return a;
}

bool listed(const EndpointIdentity& id, const std::string& host) {
  return std::find(id.hosts.begin(), id.hosts.end(), host) != id.hosts.end();
}

std::string shown(std::string_view header) {
  // Reasons quote what the client sent; keep a hostile value short and on one line.
  std::string out;
  for (char c : header.substr(0, 100)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

GuardVerdict refuse(GuardVerdict::Refusal r, int status, std::string reason) {
  return GuardVerdict{r, status, std::move(reason)};
}

std::string endpoint_text(const EndpointIdentity& id) { return "port " + std::to_string(id.port); }

}  // namespace

EndpointIdentity make_identity(std::string_view configured_host, std::string_view bound_address, std::uint16_t port,
                               const std::vector<std::string>& extra) {
  EndpointIdentity id;
  id.port = port;
  auto add = [&id](std::string_view name) {
    std::string h = unbracket(name);
    if (h.empty()) return;
    if (h == "0.0.0.0" || h == "::") {
      id.wildcard = true;
      return;
    }
    // IPv6 in its canonical text, so that "::0:1" and "::1" are one name.
    boost::system::error_code ec;
    auto v6 = boost::asio::ip::make_address_v6(h, ec);
    if (!ec) h = lower(v6.to_string());
    if (!listed(id, h)) id.hosts.push_back(h);
  };
  for (std::string_view name : {"localhost", "127.0.0.1", "::1"}) add(name);
  add(configured_host);
  add(bound_address);
  for (const auto& name : extra) add(name);
  return id;
}

bool changes_state(std::string_view method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

GuardVerdict check_request(const EndpointIdentity& id, const RequestFacts& req) {
  using R = GuardVerdict::Refusal;
  std::optional<Authority> addressed;
  if (req.host) {
    addressed = parse_authority(trim(*req.host));
    if (!addressed) return refuse(R::kHost, 421, "malformed Host header \"" + shown(*req.host) + "\"");
    const bool named = listed(id, addressed->host) || (id.wildcard && addressed->ip_literal);
    if (!named) {
      return refuse(
          R::kHost, 421,
          "Host \"" + shown(*req.host) + "\" does not name this endpoint (" +
              (id.wildcard ? std::string("an IP address, localhost") : std::string("its address, localhost")) +
              " or a name listed in [node] http_allowed_hosts)");
    }
    if (addressed->port && *addressed->port != id.port) {
      return refuse(
          R::kHost, 421,
          "Host \"" + shown(*req.host) + "\" names another port than this endpoint's (" + endpoint_text(id) + ")");
    }
  }
  if (!changes_state(req.method)) return {};

  if (req.origin) {
    const std::string_view origin = trim(*req.origin);
    if (origin == "null") {
      return refuse(R::kOrigin, 403,
                    "cross-origin request refused: Origin null (a sandboxed or local page) may not " +
                        std::string("change state on this node"));
    }
    const auto sep = origin.find("://");
    std::optional<Authority> from;
    if (sep != std::string_view::npos && iequal(origin.substr(0, sep), "http"))
      from = parse_authority(origin.substr(sep + 3));
    const bool same = from && from->port.value_or(80) == id.port &&
                      (listed(id, from->host) || (addressed && addressed->host == from->host));
    if (!same) {
      return refuse(R::kOrigin, 403,
                    "cross-origin request refused: Origin \"" + shown(origin) +
                        "\" is not this endpoint; only its own pages may change state on this node");
    }
  }
  if (req.sec_fetch_site) {
    const std::string site = lower(trim(*req.sec_fetch_site));
    if (site != "same-origin" && site != "none") {
      return refuse(R::kFetchSite, 403,
                    "cross-origin request refused: Sec-Fetch-Site \"" + shown(*req.sec_fetch_site) +
                        "\"; only this endpoint's own pages may change state on this node");
    }
  }
  return {};
}

std::string_view refusal_name(GuardVerdict::Refusal r) {
  switch (r) {
    case GuardVerdict::Refusal::kHost:
      return "host";
    case GuardVerdict::Refusal::kOrigin:
      return "origin";
    case GuardVerdict::Refusal::kFetchSite:
      return "fetch_site";
    case GuardVerdict::Refusal::kNone:
      break;
  }
  return "";
}

}  // namespace butter::host::http_detail
