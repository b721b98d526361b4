#include "http/security_headers.hpp"

#include <algorithm>
#include <cctype>

namespace butter::host::http_detail {

namespace {

bool iequal(const std::string& a, const char* b) {
  const std::string_view bv(b);
  return a.size() == bv.size() && std::equal(a.begin(), a.end(), bv.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

void add_security_headers(std::vector<std::pair<std::string, std::string>>& headers) {
  const std::pair<const char*, const char*> defaults[] = {{"X-Frame-Options", "DENY"},
                                                          {"X-Content-Type-Options", "nosniff"},
                                                          {"Content-Security-Policy", kContentSecurityPolicy}};
  for (const auto& [name, value] : defaults) {
    const bool present =
        std::any_of(headers.begin(), headers.end(), [n = name](const auto& h) { return iequal(h.first, n); });
    if (!present) headers.emplace_back(name, value);
  }
}

}  // namespace butter::host::http_detail
