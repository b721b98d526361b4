// What the /storage routes read from a request (http_request_parse.hpp).
#include "http_request_parse.hpp"

namespace butter::pcg {

std::vector<std::string> keywords_of(const butter::HttpRequest& req) {
  std::vector<std::string> keywords;
  if (auto k = req.query_param("keywords")) {
    std::string_view rest = *k;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view word = rest.substr(0, comma);
      if (!word.empty()) keywords.emplace_back(word);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return keywords;
}

std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size) {
  constexpr std::string_view unit = "bytes=";
  if (header.substr(0, unit.size()) != unit) return std::nullopt;
  std::string_view spec = header.substr(unit.size());
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  ByteRange r;
  if (a.empty()) {  // "-n": the last n bytes
    auto n = number(b);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) return ByteRange{0, 0, true};
    r.first = size - std::min(*n, size);
    r.last = size - 1;
    return r;
  }
  auto first = number(a);
  if (!first) return std::nullopt;
  std::optional<std::uint64_t> last = b.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : number(b);
  if (!last || *last < *first) return std::nullopt;
  if (*first >= size) return ByteRange{0, 0, true};
  r.first = *first;
  r.last = std::min(*last, size - 1);
  return r;
}

// "bytes=a-b" or "bytes=a-" without knowing the size (a read from the group learns it with the first
// block). Suffix ranges ("-n") and other forms are ignored (the whole object is served, RFC 9110).
std::optional<ByteRange> parse_range_start(std::string_view header) {
  constexpr std::string_view unit = "bytes=";
  if (header.substr(0, unit.size()) != unit) return std::nullopt;
  std::string_view spec = header.substr(unit.size());
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos || dash == 0 || spec.find(',') != std::string_view::npos) return std::nullopt;
  auto first = number(spec.substr(0, dash));
  if (!first) return std::nullopt;
  const std::string_view b = spec.substr(dash + 1);
  auto last = b.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : number(b);
  if (!last || *last < *first) return std::nullopt;
  return ByteRange{*first, *last, false};
}

}  // namespace butter::pcg
