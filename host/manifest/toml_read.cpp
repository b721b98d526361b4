// Typed reads from toml++ nodes with diagnostics at each node's source position.
#include "manifest/toml_read.hpp"

#include "manifest/suggest.hpp"

#include <algorithm>

namespace butter::host::manifest_detail {

namespace {

bool is_bare_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

const char* toml_type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string key_path(std::string_view prefix, std::string_view key) {
  std::string out(prefix);
  if (!out.empty()) out += '.';
  if (is_bare_key(key)) {
    out += key;
  } else {
    out += '"';
    out += key;
    out += '"';
  }
  return out;
}

SourcePos Reader::pos(const toml::source_region& region) const {
  return SourcePos{file_, static_cast<std::uint32_t>(region.begin.line),
                   static_cast<std::uint32_t>(region.begin.column)};
}

void Reader::type_error(const toml::node& node, std::string_view path, std::string_view expected) {
  error(node, std::string(path) + ": expected " + std::string(expected) + ", got " + toml_type_name(node.type()));
}

void Reader::reject_unknown_keys(const toml::table& table, std::span<const std::string_view> known,
                                 std::string_view where) {
  for (auto&& [key, value] : table) {
    (void)value;
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    error(key,
          "unknown key \"" + std::string(key.str()) + "\" in " + std::string(where) + did_you_mean(key.str(), known));
  }
}

std::optional<std::string> Reader::string(const toml::node& node, std::string_view path) {
  if (const auto* s = node.as_string()) return s->get();
  type_error(node, path, "a string");
  return std::nullopt;
}

std::optional<bool> Reader::boolean(const toml::node& node, std::string_view path) {
  if (const auto* b = node.as_boolean()) return b->get();
  type_error(node, path, "a boolean");
  return std::nullopt;
}

std::optional<std::vector<std::string>> Reader::string_array(const toml::node& node, std::string_view path) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    type_error(node, path, "an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (const auto* s = element.as_string()) {
      out.push_back(s->get());
    } else {
      type_error(element, std::string(path) + "[" + std::to_string(i) + "]", "a string");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::uint64_t> Reader::byte_size(const toml::node& node, std::string_view path) {
  if (const auto* i = node.as_integer()) {
    if (i->get() < 0) {
      error(node, std::string(path) + ": a size must not be negative, got " + std::to_string(i->get()));
      return std::nullopt;
    }
    return static_cast<std::uint64_t>(i->get());
  }
  if (const auto* s = node.as_string()) {
    if (auto bytes = parse_byte_size(s->get())) return bytes;
    error(node, std::string(path) + ": invalid size \"" + s->get() +
                    "\" (expected a number of bytes with an optional unit: B, KB, KiB, MB, MiB, GB, GiB, TB, TiB)");
    return std::nullopt;
  }
  type_error(node, path, "a size (a string like \"256MiB\" or an integer number of bytes)");
  return std::nullopt;
}

}  // namespace butter::host::manifest_detail
