// The [node] section: identity, endpoints, budgets, logging, where plugins are found.
#include "manifest/address_syntax.hpp"
#include "manifest/suggest.hpp"
#include "manifest/toml_read.hpp"

#include <algorithm>
#include <array>

namespace butter::host::manifest_detail {

namespace {

constexpr std::array<std::string_view, 25> kNodeKeys{"name",
                                                     "listen",
                                                     "http",
                                                     "http_allowed_hosts",
                                                     "memory_budget",
                                                     "data_dir",
                                                     "log_level",
                                                     "plugin_path",
                                                     "bootstrap",
                                                     "max_frame_bytes",
                                                     "insecure_plaintext",
                                                     "max_inflight_requests",
                                                     "max_queued_bytes_per_connection",
                                                     "max_connections",
                                                     "max_connections_per_peer",
                                                     "max_handshakes_per_address",
                                                     "max_handshakes_per_second",
                                                     "connections_low_water",
                                                     "connections_high_water",
                                                     "connection_grace_ms",
                                                     "connection_idle_ms",
                                                     "on_plugin_failure",
                                                     "punch_syns_per_ip_per_minute",
                                                     "punch_syns_per_second",
                                                     "punch_spread_syns_per_ip_per_minute"};

constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};
constexpr std::array<std::string_view, 2> kOnPluginFailure{"isolate", "exit"};

constexpr std::uint64_t kMinFrameBytes = 1024;
constexpr std::uint64_t kMaxFrameBytes = 1024ull * 1024 * 1024;
constexpr std::uint64_t kMinQueuedBytes = 64ull * 1024;
constexpr std::uint64_t kMaxQueuedBytes = 16ull * 1024 * 1024 * 1024;

// An integer key of [node] within [min, max]; errors name the key and the range.
template <class T>
void read_count(Reader& reader, const toml::table& table, std::string_view key, std::int64_t min, std::int64_t max,
                T& out) {
  const toml::node* v = table.get(key);
  if (!v) return;
  const std::string path = "node." + std::string(key);
  const auto* n = v->as_integer();
  if (!n) {
    reader.error(*v, path + ": expected an integer");
  } else if (n->get() < min || n->get() > max) {
    reader.error(*v, path + ": must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                         std::to_string(n->get()));
  } else {
    out = static_cast<T>(n->get());
  }
}

// Checks each entry of an endpoint list (already known to be strings) at its own position.
bool check_endpoints(Reader& reader, const toml::node& node, std::string_view path,
                     const std::vector<std::string>& endpoints) {
  const auto& array = *node.as_array();
  bool ok = true;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const std::string problem = endpoint_uri_problem(endpoints[i]);
    if (problem.empty()) continue;
    reader.error(*array.get(i), std::string(path) + "[" + std::to_string(i) + "]: invalid endpoint \"" + endpoints[i] +
                                    "\": " + problem);
    ok = false;
  }
  return ok;
}

}  // namespace

void read_node_section(Reader& reader, const toml::table& table, NodeSpec& node) {
  node.pos = reader.pos(table);
  reader.reject_unknown_keys(table, kNodeKeys, "[node]");

  if (const toml::node* v = table.get("name")) {
    if (auto name = reader.string(*v, "node.name")) {
      if (name->empty()) {
        reader.error(*v, "node.name: must not be empty");
      } else {
        node.name = std::move(*name);
      }
    }
  }
  if (const toml::node* v = table.get("listen")) {
    if (auto listen = reader.string_array(*v, "node.listen")) {
      if (check_endpoints(reader, *v, "node.listen", *listen)) node.listen = std::move(*listen);
    }
  }
  if (const toml::node* v = table.get("http")) {
    if (auto http = reader.string(*v, "node.http")) {
      const std::string problem = http->empty() ? std::string() : host_port_problem(*http);
      if (problem.empty()) {
        node.http = std::move(*http);
      } else {
        reader.error(*v, "node.http: invalid address \"" + *http + "\": " + problem +
                             " (\"host:port\", or \"\" to turn the HTTP endpoint off)");
      }
    }
  }
  if (const toml::node* v = table.get("http_allowed_hosts")) {
    if (auto names = reader.string_array(*v, "node.http_allowed_hosts")) {
      bool ok = true;
      for (std::size_t i = 0; i < names->size(); ++i) {
        const std::string problem = host_name_problem((*names)[i]);
        if (problem.empty()) continue;
        reader.error(*v->as_array()->get(i), "node.http_allowed_hosts[" + std::to_string(i) +
                                                 "]: invalid host name \"" + (*names)[i] + "\": " + problem);
        ok = false;
      }
      if (ok) node.http_allowed_hosts = std::move(*names);
    }
  }
  if (const toml::node* v = table.get("memory_budget")) {
    if (auto bytes = reader.byte_size(*v, "node.memory_budget")) {
      if (*bytes == 0) {
        reader.error(*v, "node.memory_budget: must be greater than 0");
      } else {
        node.memory_budget = *bytes;
      }
    }
  }
  if (const toml::node* v = table.get("data_dir")) {
    if (auto dir = reader.string(*v, "node.data_dir")) node.data_dir = std::move(*dir);
  }
  if (const toml::node* v = table.get("log_level")) {
    if (auto level = reader.string(*v, "node.log_level")) {
      if (std::find(kLogLevels.begin(), kLogLevels.end(), *level) != kLogLevels.end()) {
        node.log_level = std::move(*level);
      } else {
        reader.error(*v, "node.log_level: expected one of trace, debug, info, warn, error, critical, off, got \"" +
                             *level + "\"" + did_you_mean(*level, kLogLevels));
      }
    }
  }
  if (const toml::node* v = table.get("plugin_path")) {
    if (auto paths = reader.string_array(*v, "node.plugin_path")) node.plugin_path = std::move(*paths);
  }
  if (const toml::node* v = table.get("bootstrap")) {
    if (auto bootstrap = reader.string_array(*v, "node.bootstrap")) {
      if (check_endpoints(reader, *v, "node.bootstrap", *bootstrap)) node.bootstrap = std::move(*bootstrap);
    }
  }
  if (const toml::node* v = table.get("max_frame_bytes")) {
    if (auto bytes = reader.byte_size(*v, "node.max_frame_bytes")) {
      if (*bytes < kMinFrameBytes || *bytes > kMaxFrameBytes) {
        reader.error(*v, "node.max_frame_bytes: must be between 1KiB and 1GiB, got " + std::to_string(*bytes));
      } else {
        node.max_frame_bytes = *bytes;
      }
    }
  }
  if (const toml::node* v = table.get("max_queued_bytes_per_connection")) {
    if (auto bytes = reader.byte_size(*v, "node.max_queued_bytes_per_connection")) {
      if (*bytes < kMinQueuedBytes || *bytes > kMaxQueuedBytes) {
        reader.error(
            *v, "node.max_queued_bytes_per_connection: must be between 64KiB and 16GiB, got " + std::to_string(*bytes));
      } else {
        node.max_queued_bytes_per_connection = *bytes;
      }
    }
  }
  read_count(reader, table, "max_inflight_requests", 1, 1000000, node.max_inflight_requests);
  read_count(reader, table, "max_connections", 1, 1000000, node.max_connections);
  // Below 2, two nodes dialling each other at once could each refuse the other's connection.
  read_count(reader, table, "max_connections_per_peer", 2, 1024, node.max_connections_per_peer);
  read_count(reader, table, "max_handshakes_per_address", 1, 1000000, node.max_handshakes_per_address);
  read_count(reader, table, "max_handshakes_per_second", 1, 1000000, node.max_handshakes_per_second);
  read_count(reader, table, "connections_low_water", 1, 100000, node.connections_low_water);
  read_count(reader, table, "connections_high_water", 1, 100000, node.connections_high_water);
  read_count(reader, table, "connection_grace_ms", 0, 3600000, node.connection_grace_ms);
  read_count(reader, table, "connection_idle_ms", 0, 86400000, node.connection_idle_ms);
  read_count(reader, table, "punch_syns_per_ip_per_minute", 1, 1000000, node.punch_syns_per_ip_per_minute);
  read_count(reader, table, "punch_syns_per_second", 1, 1000000, node.punch_syns_per_second);
  read_count(reader, table, "punch_spread_syns_per_ip_per_minute", 1, 1000000,
             node.punch_spread_syns_per_ip_per_minute);
  if (node.connections_high_water > node.max_connections) {
    // Only an explicit high watermark above max_connections is an error; the default follows a
    // smaller max_connections down.
    if (const toml::node* v = table.get("connections_high_water")) {
      reader.error(*v, "node.connections_high_water (" + std::to_string(node.connections_high_water) +
                           ") must not exceed node.max_connections (" + std::to_string(node.max_connections) + ")");
    } else {
      node.connections_high_water = node.max_connections;
    }
  }
  if (node.connections_low_water > node.connections_high_water) {
    // A default low watermark follows a smaller high one; an explicit one above it is an error.
    if (const toml::node* v = table.get("connections_low_water")) {
      reader.error(*v, "node.connections_low_water (" + std::to_string(node.connections_low_water) +
                           ") must not exceed node.connections_high_water (" +
                           std::to_string(node.connections_high_water) + ")");
    } else {
      node.connections_low_water = node.connections_high_water;
    }
  }
  if (const toml::node* v = table.get("on_plugin_failure")) {
    if (auto mode = reader.string(*v, "node.on_plugin_failure")) {
      if (*mode == "isolate") {
        node.on_plugin_failure = NodeSpec::OnPluginFailure::Isolate;
      } else if (*mode == "exit") {
        node.on_plugin_failure = NodeSpec::OnPluginFailure::Exit;
      } else {
        reader.error(*v, "node.on_plugin_failure: expected \"isolate\" or \"exit\", got \"" + *mode + "\"" +
                             did_you_mean(*mode, kOnPluginFailure));
      }
    }
  }
  if (const toml::node* v = table.get("insecure_plaintext")) {
    if (auto b = reader.boolean(*v, "node.insecure_plaintext")) node.insecure_plaintext = *b;
  }
}

}  // namespace butter::host::manifest_detail
