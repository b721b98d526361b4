// Syntax checks for the addresses a manifest names: "host:port" (the HTTP endpoint) and endpoint
// URIs "scheme://..." (listen and bootstrap). Only the syntax is checked, nothing is resolved.
// Internal to the manifest area.
#pragma once
#include <string>
#include <string_view>

namespace butter::host::manifest_detail {

// "" when `text` is host:port (host a name, an IPv4 address or a bracketed IPv6 address; port
// 0-65535), else why not.
std::string host_port_problem(std::string_view text);

// "" when `text` is a host name without a port: a DNS name (letters, digits, '-', '_' and dots), an
// IPv4 address or a bracketed IPv6 address; else why not.
std::string host_name_problem(std::string_view text);

// "" when `text` is an endpoint URI "scheme://rest": tcp URIs must be tcp://host:port, other
// schemes (a plugin may dial them, e.g. relay://) only need a non-empty rest. Else why not.
std::string endpoint_uri_problem(std::string_view text);

}  // namespace butter::host::manifest_detail
