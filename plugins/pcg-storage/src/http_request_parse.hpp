// What the /storage routes (http_routes.cpp) read from a request: the keywords of a put, and the
// byte range of a get (RFC 9110 Range, one range of unit bytes). Pure; bad input is "absent".
#pragma once
#include <butter/cpp/http.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace butter::pcg {

// ?keywords=a,b of a request: the non-empty keywords, in order.
std::vector<std::string> keywords_of(const butter::HttpRequest& req);

// A decimal number of at most 19 digits; nullopt otherwise.
std::optional<std::uint64_t> number(std::string_view s);

// A byte range of an object of `size` bytes, from a Range header. nullopt: serve the whole object
// (no header, another unit, several ranges, or syntax we ignore as RFC 9110 allows); `unsatisfiable`
// when the range lies beyond the end (416).
struct ByteRange {
  std::uint64_t first = 0, last = 0;  // inclusive
  bool unsatisfiable = false;
};
std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size);

// "bytes=a-b" or "bytes=a-" without knowing the size (a read from the group learns it with the first
// block). Suffix ranges ("-n") and other forms are ignored (the whole object is served, RFC 9110).
std::optional<ByteRange> parse_range_start(std::string_view header);

}  // namespace butter::pcg
