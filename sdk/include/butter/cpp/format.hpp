// butter/cpp/format.hpp — a tiny "{}" formatter for log lines (std::format is not in GCC 12 and
// plugins depend on the SDK alone).
//
//   butter::format("peer {} answered in {} ms", id, ms)  ->  "peer ab12.. answered in 3 ms"
//
// Each "{}" takes the next argument, printed with operator<< (bools as true/false, small integer
// types as numbers); "{{" and "}}" print braces. Missing arguments leave "{}", extra ones are
// ignored. No format specs.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

namespace butter {
namespace detail {

template <class T>
void format_arg(std::ostringstream& os, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    os << (v ? "true" : "false");
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, char>) {
    os << +v;  // uint8_t/int8_t as numbers, not characters
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    os << std::string_view(v);
  } else {
    os << v;
  }
}

// Writes `f` up to the next "{}" (unescaping braces); returns what follows it, and whether a
// placeholder was found.
inline std::string_view format_until_placeholder(std::ostringstream& os, std::string_view f, bool& found) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if ((c == '{' || c == '}') && i + 1 < f.size()) {
      const char n = f[i + 1];
      if ((c == '{' && n == '{') || (c == '}' && n == '}') || (c == '{' && n == '}')) {
        os.write(f.data() + run, static_cast<std::streamsize>(i - run));
        if (c == '{' && n == '}') {
          found = true;
          return f.substr(i + 2);
        }
        os.put(c);
        run = i + 2;
        ++i;
      }
    }
  }
  os.write(f.data() + run, static_cast<std::streamsize>(f.size() - run));
  found = false;
  return {};
}

inline void format_rest(std::ostringstream& os, std::string_view f) {
  bool found = true;
  while (found) {
    f = format_until_placeholder(os, f, found);
    if (found) os << "{}";
  }
}

template <class T, class... Rest>
void format_rest(std::ostringstream& os, std::string_view f, const T& first, const Rest&... rest) {
  bool found = false;
  f = format_until_placeholder(os, f, found);
  if (!found) return;
  format_arg(os, first);
  format_rest(os, f, rest...);
}

}  // namespace detail

template <class... Args>
std::string format(std::string_view fmt, const Args&... args) {
  std::ostringstream os;
  detail::format_rest(os, fmt, args...);
  return std::move(os).str();
}

}  // namespace butter
