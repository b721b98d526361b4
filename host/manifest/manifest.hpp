// The manifest: a TOML file that composes a node — `[node]` and one `[plugins.<instance>]` table
// per plugin instance. Parsing collects every error (not just the first) with file:line:column.
// Unknown keys and wrong types are errors that name the key.
//
//   [node]
//   name = "alice"
//   listen = ["tcp://127.0.0.1:7000"]
//   http = "127.0.0.1:8080"          # "" turns the HTTP endpoint off
//   memory_budget = "256MiB"         # or an integer number of bytes
//   data_dir = ""                    # "" = no persistence
//   log_level = "info"
//   plugin_path = ["../plugins"]     # relative to the executable's directory, or absolute
//   bootstrap = ["tcp://127.0.0.1:7001"]
//   insecure_plaintext = false       # DEBUGGING ONLY: no encryption/authentication; both sides must agree
//
//   [plugins.echo]
//   plugin = "butter.example.echo"   # by id, searched on plugin_path ...
//   # file = "path/to/echo.so"       # ... or by file, relative to the manifest
//   enabled = true
//   [plugins.echo.config]
//   greeting = "hi"
#pragma once
#include "transport/transport_limits.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace butter::host {

struct SourcePos {
  std::string file;
  std::uint32_t line = 0;    // 1-based; 0 = unknown
  std::uint32_t column = 0;  // 1-based; 0 = unknown
};

struct Diagnostic {
  SourcePos pos;
  std::string message;
  // "file:line:column: error: message" (line/column omitted when unknown)
  std::string to_string() const;
};

struct Diagnostics {
  std::vector<Diagnostic> items;
  void add(SourcePos pos, std::string message) { items.push_back({std::move(pos), std::move(message)}); }
  bool empty() const { return items.empty(); }
  // One diagnostic per line.
  std::string to_string() const;
};

// Types a plugin's config schema can declare (mirrors BUTTER_CONFIG_* in butter/plugin.h).
enum class ConfigType { String, Integer, Float, Boolean, StringArray };
const char* config_type_name(ConfigType);

using ConfigScalar = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

// One key of a plugin's schema. The fields after `description` come from the plugin's
// butter_config_key_ext record (ABI 1.3), checked when the plugin was loaded: a default of the
// key's type, within the bounds; bounds of the key's type (int_* for Integer, float_* for Float);
// max_len for String (bytes) and StringArray (items).
struct ConfigKeySpec {
  std::string key;
  ConfigType type = ConfigType::String;
  bool required = false;
  std::string description;
  std::optional<ConfigScalar> default_value{};
  std::optional<std::int64_t> int_min{}, int_max{};
  std::optional<double> float_min{}, float_max{};
  std::optional<std::uint32_t> max_len{};
  std::string unit{};  // "" = none
};

// How a schema value reads in messages and `butter inspect`: 30000, 0.5, true, "text", ["a", "b"].
std::string config_value_text(const ConfigScalar& value);
// Why `value` (already of the key's type) is outside the key's min/max/max_len, as the end of a
// sentence ("is below the minimum 1 (ms)"); nullopt when it is within them.
std::optional<std::string> config_range_problem(const ConfigKeySpec& spec, const ConfigScalar& value);

struct ConfigValue {
  ConfigScalar value;
  SourcePos pos;
};

struct PluginSpec {
  std::string instance;   // the table name: [plugins.<instance>]
  std::string plugin_id;  // `plugin = "..."`, may be empty when `file` is given
  std::string file;       // `file = "..."`, resolved against the manifest's directory
  bool enabled = true;
  SourcePos pos;  // of the table header
  std::map<std::string, ConfigValue> config;
};

// The [node] section. Its limits on connections (max_frame_bytes, max_connections, the punch
// budget, the watermarks, ...) are the TransportLimits base: named as the keys, with their one
// default there, and handed to the transport whole.
struct NodeSpec : TransportLimits {
  std::string name = "butter";
  std::vector<std::string> listen{"tcp://127.0.0.1:0"};
  std::string http = "127.0.0.1:0";
  // Names (besides the bound address, localhost, 127.0.0.1, [::1]) under which browsers may reach
  // the HTTP endpoint: its Host and Origin checks accept them (host/http/request_guard.hpp).
  std::vector<std::string> http_allowed_hosts;
  std::uint64_t memory_budget = 256ull * 1024 * 1024;
  std::string data_dir;
  std::string log_level = "info";
  std::vector<std::string> plugin_path;
  std::vector<std::string> bootstrap;
  // DEBUGGING ONLY: connections carry plaintext, unauthenticated (TransportOptions::plaintext).
  // Peers must set it too, or connections fail. A warning is logged at start when set.
  bool insecure_plaintext = false;
  // What a plugin failing at run time (isolated: it threw, refused a call, timed out) does to the
  // node: Isolate keeps the node running without it (never panic: the default); Exit stops the
  // node and `butter run` exits non-zero, for nodes under a supervisor that restarts them.
  enum class OnPluginFailure { Isolate, Exit };
  OnPluginFailure on_plugin_failure = OnPluginFailure::Isolate;
  SourcePos pos;
};

struct Manifest {
  std::string source;     // file path, or "<default manifest>"
  std::string directory;  // directory of the file, for relative paths ("" for embedded)
  NodeSpec node;
  std::vector<PluginSpec> plugins;
};

// Parses and validates the [node] section and the shape of each plugin table. Every problem found
// goes to `diags`; returns nullopt when there was any.
// `directory` is derived from `source_name` (its parent path; none for a name in angle brackets
// such as "<default manifest>").
std::optional<Manifest> parse_manifest(std::string_view text, const std::string& source_name, Diagnostics& diags);
// The same with an explicit directory for relative `file` paths ("" leaves them as written).
std::optional<Manifest> parse_manifest(std::string_view text, const std::string& source_name,
                                       const std::string& directory, Diagnostics& diags);
// Reads `path` (an error naming the path and strerror when it cannot); relative `file` paths are
// resolved against the file's absolute directory. Diagnostics cite `path` as given.
std::optional<Manifest> load_manifest_file(const std::string& path, Diagnostics& diags);

// The manifest compiled into the binary (manifests/default.toml).
std::string_view default_manifest_text();
std::optional<Manifest> load_default_manifest(Diagnostics& diags);

// Checks one plugin instance's config against its schema: unknown keys, missing required keys,
// wrong types and values outside the key's range or max_len, each at the value's position. An
// Integer is accepted where a Float is wanted.
void validate_plugin_config(const PluginSpec& plugin, std::span<const ConfigKeySpec> schema, Diagnostics& diags);

// "256MiB", "1GiB", "512KB", "1000" -> bytes; nullopt when malformed.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace butter::host
