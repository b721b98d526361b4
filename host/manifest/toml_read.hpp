// Reading typed values out of a parsed TOML document while collecting diagnostics: each helper
// reports a wrong type at the value's own position, naming the key path and the expected type, and
// returns nullopt so that the caller can go on checking the rest. Internal to the manifest area.
#pragma once
#include "manifest/manifest.hpp"

#include <toml++/toml.h>

namespace butter::host::manifest_detail {

// "string", "integer", "table", ... as said in messages.
const char* toml_type_name(toml::node_type);

// `prefix.key`, with the key quoted when it is not a bare TOML key.
std::string key_path(std::string_view prefix, std::string_view key);

class Reader {
 public:
  Reader(std::string file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  const std::string& file() const { return file_; }
  SourcePos pos(const toml::source_region& region) const;
  SourcePos pos(const toml::node& node) const { return pos(node.source()); }

  void error(const SourcePos& at, std::string message) { diags_.add(at, std::move(message)); }
  void error(const toml::node& at, std::string message) { error(pos(at), std::move(message)); }
  void error(const toml::key& at, std::string message) { error(pos(at.source()), std::move(message)); }

  // `path: expected <expected>, got <type of node>` at the node.
  void type_error(const toml::node& node, std::string_view path, std::string_view expected);

  // Every key of `table` not in `known` is an error at the key: `unknown key "k" in <where>`,
  // with a suggestion when one of `known` is close.
  void reject_unknown_keys(const toml::table& table, std::span<const std::string_view> known, std::string_view where);

  std::optional<std::string> string(const toml::node& node, std::string_view path);
  std::optional<bool> boolean(const toml::node& node, std::string_view path);
  // Every element is checked; a non-string element is an error at the element (`path[i]`).
  std::optional<std::vector<std::string>> string_array(const toml::node& node, std::string_view path);
  // A byte size: a string for parse_byte_size, or a non-negative integer.
  std::optional<std::uint64_t> byte_size(const toml::node& node, std::string_view path);

 private:
  std::string file_;
  Diagnostics& diags_;
};

// The [node] section into `node`; `table` is the value of the top-level `node` key.
void read_node_section(Reader& reader, const toml::table& table, NodeSpec& node);

// The plugin instances of the `plugins` table, in file order. `directory` resolves relative
// `file` paths ("" leaves them as written).
void read_plugins_section(Reader& reader, const toml::table& table, const std::string& directory,
                          std::vector<PluginSpec>& plugins);

}  // namespace butter::host::manifest_detail
