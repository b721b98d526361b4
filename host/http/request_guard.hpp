// Which requests the local HTTP endpoint serves at all, decided from headers before any route
// runs. Two attacks drive it, both by a web page in the user's own browser:
// - DNS rebinding: a page on evil.example re-points its name to 127.0.0.1 and then reads and writes
//   the node as "same origin". Its requests still carry `Host: evil.example`, so every request
//   (reads included) must name this endpoint in Host.
// - Cross-site request forgery: a page anywhere posts a form or a no-cors fetch() to the node.
//   Browsers mark such requests with `Origin` and `Sec-Fetch-Site`, so a request that changes state
//   (any method but GET, HEAD, OPTIONS) must come from the endpoint's own origin. A request with
//   neither header comes from no browser page (curl, the CLI) and cannot be forged by one.
// A pure function: no I/O, no state; the session applies its verdict.
// Internal to the http area.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace butter::host::http_detail {

// The names under which this endpoint may be addressed.
struct EndpointIdentity {
  // Lowercase, IPv6 without brackets. Always holds "localhost", "127.0.0.1" and "::1".
  std::vector<std::string> hosts;
  // Bound to 0.0.0.0 or ::: the node answers on every interface address, which it does not list,
  // so any IP literal is accepted as Host. DNS names must still be in `hosts`: a rebinding attack
  // always comes with a DNS name, never with an IP literal.
  bool wildcard = false;
  std::uint16_t port = 0;  // the bound port
};

// The identity of an endpoint configured as `configured_host` (the host of [node] http, e.g.
// "localhost"), bound to `bound_address` (as Asio prints it) on `port`, plus the `extra` names an
// operator allows (e.g. a DNS name of the machine). Names are lowercased; brackets are dropped.
EndpointIdentity make_identity(std::string_view configured_host, std::string_view bound_address, std::uint16_t port,
                               const std::vector<std::string>& extra);

// The headers the decision reads; nullopt when the header is absent.
struct RequestFacts {
  std::string_view method;
  std::optional<std::string_view> host;
  std::optional<std::string_view> origin;
  std::optional<std::string_view> sec_fetch_site;
};

struct GuardVerdict {
  enum class Refusal { kNone, kHost, kOrigin, kFetchSite };
  Refusal refusal = Refusal::kNone;
  int status = 0;      // 421 (Host) or 403 (Origin, Sec-Fetch-Site) when refused
  std::string reason;  // one line for the client and the log, without a newline

  bool allowed() const { return refusal == Refusal::kNone; }
};

// Whether `method` may change state: anything but GET, HEAD and OPTIONS (case-sensitive, as
// methods are).
bool changes_state(std::string_view method);

// The verdict on one request. In order:
// 1. Host (every method): absent (HTTP/1.0, no browser), or a name of `id` with no port or the
//    bound port. Else 421.
// 2. Only for state-changing methods: Origin, when present, must be http://<host>:<bound port>
//    where <host> is a name of `id` (the wildcard rule does not apply: an IP literal is accepted
//    only as the very host the request addressed); "null" (sandboxed frames, file: pages) is
//    refused. Sec-Fetch-Site, when present, must be "same-origin" or "none" (typed by the user).
//    Else 403.
GuardVerdict check_request(const EndpointIdentity& id, const RequestFacts& req);

// Short names for metrics labels: "host", "origin", "fetch_site" ("" for kNone).
std::string_view refusal_name(GuardVerdict::Refusal r);

}  // namespace butter::host::http_detail
