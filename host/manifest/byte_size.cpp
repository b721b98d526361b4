// parse_byte_size: "256MiB", "1GiB", "512KB", "4096" -> bytes.
// Decimal units (KB, MB, GB, TB) are powers of 1000, binary ones (KiB, MiB, GiB, TiB) powers of
// 1024; "B" or no unit means bytes. Units are case-sensitive; blanks around the number and between
// number and unit are allowed. No sign, no fraction; overflow of 64 bits is malformed.
#include "manifest/manifest.hpp"

#include <array>
#include <limits>
#include <utility>

namespace butter::host {

namespace {

constexpr std::uint64_t kKi = 1024;
constexpr std::uint64_t kK = 1000;

constexpr std::array<std::pair<std::string_view, std::uint64_t>, 10> kUnits{{
    {"", 1},
    {"B", 1},
    {"KB", kK},
    {"MB", kK* kK},
    {"GB", kK* kK* kK},
    {"TB", kK* kK* kK* kK},
    {"KiB", kKi},
    {"MiB", kKi* kKi},
    {"GiB", kKi* kKi* kKi},
    {"TiB", kKi* kKi* kKi* kKi},
}};

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  text = trim(text);
  std::uint64_t number = 0;
  std::size_t i = 0;
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (number > (kMax - digit) / 10) return std::nullopt;
    number = number * 10 + digit;
  }
  if (i == 0) return std::nullopt;  // no digits
  const std::string_view unit = trim(text.substr(i));
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    if (number > kMax / factor) return std::nullopt;
    return number * factor;
  }
  return std::nullopt;
}

}  // namespace butter::host
