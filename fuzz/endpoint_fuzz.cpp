// Fuzz target: the address syntax the host accepts from peers and manifests — endpoint URIs
// (host/transport/endpoint.*), the manifest's checks of listen/bootstrap URIs and of the HTTP
// host:port (host/manifest/address_syntax.*), the HTTP endpoint's own host:port split
// (host/http/listen_address.*), UTF-8 validation (host/transport/utf8.*) and node ids in hex.
//
// Invariants: what the manifest check accepts, the component that uses it later accepts too (a
// manifest that passes `butter check` must not fail at start on its address syntax); a parsed tcp
// endpoint has a non-empty host.
#include "core/node_id.hpp"
#include "fuzz_support.hpp"
#include "http/listen_address.hpp"
#include "manifest/address_syntax.hpp"
#include "transport/endpoint.hpp"
#include "transport/utf8.hpp"

#include <spdlog/spdlog.h>

using namespace butter::host;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // host code logs every refusal
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  std::string why;
  auto ep = parse_endpoint(text, why);
  if (ep) {
    FUZZ_CHECK(!ep->scheme.empty() && !ep->rest.empty());
    if (ep->scheme == "tcp") {
      FUZZ_CHECK(!ep->host.empty());
      (void)format_tcp_endpoint(ep->host, ep->port);
    }
  } else {
    FUZZ_CHECK(!why.empty());
  }
  if (manifest_detail::endpoint_uri_problem(text).empty()) FUZZ_CHECK(ep.has_value());

  std::string why_hp;
  auto hp = http_detail::split_host_port(text, why_hp);
  if (manifest_detail::host_port_problem(text).empty()) FUZZ_CHECK(hp.has_value());
  if (hp) (void)http_detail::http_url_for(hp->host, hp->host.find(':') != std::string::npos, hp->port);

  (void)valid_utf8_text(text);
  if (auto id = NodeId::from_hex(text)) FUZZ_CHECK(NodeId::from_hex(id->hex()) == id);
  return 0;
}
