// The headers every answer of the endpoint carries unless its handler set them itself: the node's
// pages must not be framed (clickjacking), sniffed into another type, or run script from anywhere
// but the node. Plugins serving a page keep their script and style in files of their own (inline
// ones are blocked by this policy) or set a Content-Security-Policy of their own.
// Internal to the http area.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace butter::host::http_detail {

inline constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

// Appends X-Frame-Options, X-Content-Type-Options and Content-Security-Policy to `headers`, each
// only when no header of that name (case-insensitive) is there.
void add_security_headers(std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace butter::host::http_detail
