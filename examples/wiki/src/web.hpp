// web: the little the wiki's HTTP routes need — a strict application/x-www-form-urlencoded parser
// (a malformed escape is an error, not kept as is) and JSON string escaping.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace wiki::web {

// "a=1&b=x%20y" -> {a: "1", b: "x y"}; nullopt for a malformed escape or a repeated key.
inline std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  auto decode = [](std::string_view s, std::string& out) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    out.clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out.push_back(' ');
      } else if (s[i] == '%') {
        if (i + 2 >= s.size()) return false;  // truncated escape
        const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out.push_back(s[i]);
      }
    }
    return true;
  };
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key, value;
    if (!decode(pair.substr(0, eq), key)) return std::nullopt;
    if (eq != std::string_view::npos && !decode(pair.substr(eq + 1), value)) return std::nullopt;
    if (!out.emplace(std::move(key), std::move(value)).second) return std::nullopt;
  }
  return out;
}

// `s` without leading and trailing spaces and tabs.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A JSON string literal, quotes included.
inline std::string json_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          static const char* d = "0123456789abcdef";
          out += "\\u00";
          out.push_back(d[c >> 4]);
          out.push_back(d[c & 15]);
        } else if (c == '<') {
          out += "\\u003c";  // safe to embed in HTML
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace wiki::web
