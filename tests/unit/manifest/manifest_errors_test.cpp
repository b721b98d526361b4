// Invalid manifests: each class of error at its exact line and column, and several errors
// reported together.
#include <catch2/catch.hpp>

#include "manifest/manifest.hpp"

#include <cerrno>
#include <cstring>

using namespace butter::host;

namespace {

// The rendered diagnostics of parsing `text` as "m.toml"; parsing must fail when there are any.
std::vector<std::string> errors_of(const std::string& text) {
  Diagnostics diags;
  const auto m = parse_manifest(text, "m.toml", diags);
  CHECK(m.has_value() == diags.empty());
  std::vector<std::string> out;
  for (const auto& d : diags.items) out.push_back(d.to_string());
  return out;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("errors: TOML syntax at file line and column") {
  CHECK(errors_of("[node]\nname \"a\"\n") ==
        Lines{"m.toml:2:6: error: Error while parsing key-value pair: expected '=', saw '\"'"});
  CHECK(errors_of("[node]\nname = \"a\"\nlisten = [\"tcp://x:1\",\n") ==
        Lines{"m.toml:3:24: error: Error while parsing array: encountered end-of-file"});
}

TEST_CASE("errors: duplicate keys and tables carry their position") {
  CHECK(errors_of("[node]\nname = \"a\"\nname = \"b\"\n") ==
        Lines{"m.toml:3:8: error: Error while parsing key-value pair: cannot redefine existing string 'name'"});
  CHECK(errors_of("[node]\n[plugins.a]\nplugin = \"p\"\n[node]\n") ==
        Lines{"m.toml:4:1: error: Error while parsing table header: cannot redefine existing table 'node'"});
}

TEST_CASE("errors: unknown keys with suggestions") {
  CHECK(errors_of("[node]\nname = \"a\"\n\nlisen = []\n") ==
        Lines{"m.toml:4:1: error: unknown key \"lisen\" in [node] (did you mean \"listen\"?)"});
  CHECK(errors_of("nodes = 1\n") ==
        Lines{"m.toml:1:1: error: unknown key \"nodes\" in the top level (did you mean \"node\"?)"});
  CHECK(errors_of("[server]\nport = 1\n") == Lines{"m.toml:1:2: error: unknown key \"server\" in the top level"});
  CHECK(errors_of("[plugins.a]\nplugin = \"p\"\n  enable = false\n") ==
        Lines{"m.toml:3:3: error: unknown key \"enable\" in [plugins.a] (did you mean \"enabled\"?)"});
}

TEST_CASE("errors: wrong types name the key and the expected type") {
  CHECK(errors_of("[node]\nname = \"a\"\nlisten = 7\n") ==
        Lines{"m.toml:3:10: error: node.listen: expected an array of strings, got integer"});
  CHECK(errors_of("[node]\nlisten = [\"tcp://a:1\", 2]\n") ==
        Lines{"m.toml:2:24: error: node.listen[1]: expected a string, got integer"});
  CHECK(errors_of("[node]\nname = 1.5\n") == Lines{"m.toml:2:8: error: node.name: expected a string, got float"});
  CHECK(errors_of("[node]\ndata_dir = false\n") ==
        Lines{"m.toml:2:12: error: node.data_dir: expected a string, got boolean"});
  CHECK(errors_of("[node]\nplugin_path = \"../plugins\"\n") ==
        Lines{"m.toml:2:15: error: node.plugin_path: expected an array of strings, got string"});
  CHECK(errors_of("node = 3\n") == Lines{"m.toml:1:8: error: node: expected a table, got integer"});
  CHECK(errors_of("[[plugins]]\nplugin = \"p\"\n") ==
        Lines{"m.toml:1:1: error: plugins: expected a table of plugin tables ([plugins.<instance>]), got array"});
  CHECK(errors_of("[plugins]\necho = \"x\"\n") ==
        Lines{"m.toml:2:8: error: plugins.echo: expected a table, got string"});
  CHECK(errors_of("[plugins.a]\nplugin = \"p\"\nenabled = \"yes\"\n") ==
        Lines{"m.toml:3:11: error: plugins.a.enabled: expected a boolean, got string"});
  CHECK(errors_of("[plugins.a]\nplugin = 5\n") ==
        Lines{"m.toml:2:10: error: plugins.a.plugin: expected a string, got integer"});
  CHECK(errors_of("[plugins.a]\nplugin = \"p\"\nconfig = 1\n") ==
        Lines{"m.toml:3:10: error: plugins.a.config: expected a table, got integer"});
}

TEST_CASE("errors: sizes") {
  CHECK(errors_of("[node]\nmemory_budget = \"lots\"\n") ==
        Lines{"m.toml:2:17: error: node.memory_budget: invalid size \"lots\" (expected a number of bytes with an "
              "optional unit: B, KB, KiB, MB, MiB, GB, GiB, TB, TiB)"});
  CHECK(errors_of("[node]\nmemory_budget = 0\n") ==
        Lines{"m.toml:2:17: error: node.memory_budget: must be greater than 0"});
  CHECK(errors_of("[node]\nmemory_budget = \"0MiB\"\n") ==
        Lines{"m.toml:2:17: error: node.memory_budget: must be greater than 0"});
  CHECK(errors_of("[node]\nmemory_budget = -5\n") ==
        Lines{"m.toml:2:17: error: node.memory_budget: a size must not be negative, got -5"});
  CHECK(errors_of("[node]\nmemory_budget = 1.5\n") ==
        Lines{"m.toml:2:17: error: node.memory_budget: expected a size (a string like \"256MiB\" or an integer "
              "number of bytes), got float"});
  CHECK(errors_of("[node]\nmax_frame_bytes = 1023\n") ==
        Lines{"m.toml:2:19: error: node.max_frame_bytes: must be between 1KiB and 1GiB, got 1023"});
  CHECK(errors_of("[node]\nmax_frame_bytes = \"1025MiB\"\n") ==
        Lines{"m.toml:2:19: error: node.max_frame_bytes: must be between 1KiB and 1GiB, got 1074790400"});
  CHECK(errors_of("[node]\nmax_inflight_requests = 0\n") ==
        Lines{"m.toml:2:25: error: node.max_inflight_requests: must be between 1 and 1000000, got 0"});
  CHECK(errors_of("[node]\nmax_inflight_requests = \"many\"\n") ==
        Lines{"m.toml:2:25: error: node.max_inflight_requests: expected an integer"});
  CHECK(errors_of("[node]\nmax_inflight_requests = 64\n").empty());
}

TEST_CASE("errors: connection limits and the queue bound out of range or of the wrong type") {
  CHECK(errors_of("[node]\nmax_connections = 0\n") ==
        Lines{"m.toml:2:19: error: node.max_connections: must be between 1 and 1000000, got 0"});
  CHECK(errors_of("[node]\nmax_connections = 1000001\n") ==
        Lines{"m.toml:2:19: error: node.max_connections: must be between 1 and 1000000, got 1000001"});
  CHECK(errors_of("[node]\nmax_connections_per_peer = 1\n") ==
        Lines{"m.toml:2:28: error: node.max_connections_per_peer: must be between 2 and 1024, got 1"});
  CHECK(errors_of("[node]\nmax_connections_per_peer = \"4\"\n") ==
        Lines{"m.toml:2:28: error: node.max_connections_per_peer: expected an integer"});
  CHECK(errors_of("[node]\nmax_handshakes_per_address = -3\n") ==
        Lines{"m.toml:2:30: error: node.max_handshakes_per_address: must be between 1 and 1000000, got -3"});
  CHECK(errors_of("[node]\nmax_handshakes_per_second = 0\n") ==
        Lines{"m.toml:2:29: error: node.max_handshakes_per_second: must be between 1 and 1000000, got 0"});
  CHECK(errors_of("[node]\nmax_handshakes_per_second = 2.5\n") ==
        Lines{"m.toml:2:29: error: node.max_handshakes_per_second: expected an integer"});
  CHECK(errors_of("[node]\nmax_queued_bytes_per_connection = \"1KiB\"\n") ==
        Lines{"m.toml:2:35: error: node.max_queued_bytes_per_connection: must be between 64KiB and 16GiB, got 1024"});
  CHECK(errors_of("[node]\nmax_queued_bytes_per_connection = \"17GiB\"\n") ==
        Lines{"m.toml:2:35: error: node.max_queued_bytes_per_connection: must be between 64KiB and 16GiB, got "
              "18253611008"});
  // Several at once, each at its own line.
  CHECK(errors_of("[node]\nmax_connections = 0\nmax_handshakes_per_address = 0\n") ==
        Lines{"m.toml:2:19: error: node.max_connections: must be between 1 and 1000000, got 0",
              "m.toml:3:30: error: node.max_handshakes_per_address: must be between 1 and 1000000, got 0"});
}

TEST_CASE("errors: endpoints and the HTTP address") {
  CHECK(errors_of("[node]\nlisten = [\"tcp://127.0.0.1:7000\", \"127.0.0.1:7001\"]\n") ==
        Lines{"m.toml:2:35: error: node.listen[1]: invalid endpoint \"127.0.0.1:7001\": expected a URI like "
              "\"tcp://host:port\""});
  CHECK(errors_of("[node]\nbootstrap = [\"tcp://h:99999\"]\n") ==
        Lines{"m.toml:2:14: error: node.bootstrap[0]: invalid endpoint \"tcp://h:99999\": port must be 0-65535 "
              "(tcp endpoints are tcp://host:port)"});
  CHECK(errors_of("[node]\nhttp = \"8080\"\n") ==
        Lines{"m.toml:2:8: error: node.http: invalid address \"8080\": expected host:port (\"host:port\", or \"\" "
              "to turn the HTTP endpoint off)"});
}

TEST_CASE("errors: HTTP allowed host names") {
  CHECK(errors_of("[node]\nhttp_allowed_hosts = [\"node1.lan\", \"evil.example:80\", \"a b\"]\n") ==
        Lines{"m.toml:2:36: error: node.http_allowed_hosts[1]: invalid host name \"evil.example:80\": a name without a "
              "port (an IPv6 address in brackets, e.g. [::1])",
              "m.toml:2:55: error: node.http_allowed_hosts[2]: invalid host name \"a b\": only letters, digits, '-', "
              "'_' and '.' may appear in a host name"});
  CHECK(errors_of("[node]\nhttp_allowed_hosts = \"node1.lan\"\n").size() == 1);
  CHECK(errors_of("[node]\nhttp_allowed_hosts = [\"node1.lan\", \"[fe80::1]\", \"10.0.0.1\"]\n").empty());
}

TEST_CASE("errors: log level") {
  CHECK(errors_of("[node]\nlog_level = \"warning\"\n") ==
        Lines{"m.toml:2:13: error: node.log_level: expected one of trace, debug, info, warn, error, critical, off, "
              "got \"warning\" (did you mean \"warn\"?)"});
  CHECK(errors_of("[node]\nlog_level = \"INFO\"\n").size() == 1);
}

TEST_CASE("errors: plugin tables") {
  CHECK(errors_of("\n[plugins.a]\nenabled = true\n") ==
        Lines{"m.toml:2:1: error: [plugins.a]: one of \"plugin\" (an id) or \"file\" (a path) is required"});
  CHECK(errors_of("[plugins.a]\nplugin = \"p\"\nfile = \"a.so\"\n") ==
        Lines{"m.toml:3:8: error: [plugins.a]: \"plugin\" and \"file\" are exclusive, give only one"});
  CHECK(errors_of("[plugins.a]\nplugin = \"\"\n") == Lines{"m.toml:2:10: error: plugins.a.plugin: must not be empty"});
  const auto e = errors_of("[plugins.\"bad name\"]\nplugin = \"p\"\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].rfind("m.toml:1:10: error: plugins.\"bad name\": invalid plugin instance name", 0) == 0);
}

TEST_CASE("errors: config values of unsupported types at their position") {
  const std::string text =
      "[plugins.a]\n"          // 1
      "plugin = \"p\"\n"       // 2
      "[plugins.a.config]\n"   // 3
      "ok = 1\n"               // 4
      "nested = { x = 1 }\n"   // 5
      "mixed = [\"a\", 2]\n"   // 6
      "when = 1979-05-27\n"    // 7
      "deep.er = 1\n"          // 8
      "arrays = [[\"a\"]]\n";  // 9
  CHECK(errors_of(text) ==
        Lines{"m.toml:5:10: error: plugins.a.config.nested: expected a string, integer, float, boolean or array "
              "of strings, got table",
              "m.toml:6:15: error: plugins.a.config.mixed[1]: expected a string (config arrays hold strings only), "
              "got integer",
              "m.toml:7:8: error: plugins.a.config.when: expected a string, integer, float, boolean or array of "
              "strings, got date",
              "m.toml:8:1: error: plugins.a.config.deep: expected a string, integer, float, boolean or array of "
              "strings, got table",
              "m.toml:9:11: error: plugins.a.config.arrays[0]: expected a string (config arrays hold strings only), "
              "got array"});
}

TEST_CASE("errors: several reported together in file order") {
  const std::string text =
      "[node]\n"                          // 1
      "name = 3\n"                        // 2
      "lisen = [\"tcp://a:1\"]\n"         // 3
      "memory_budget = \"12 parsecs\"\n"  // 4
      "log_level = \"loud\"\n"            // 5
      "\n"                                // 6
      "[plugins.b]\n"                     // 7
      "enabled = 1\n"                     // 8
      "\n"                                // 9
      "[plugins.a]\n"                     // 10
      "plugin = \"p\"\n"                  // 11
      "colour = \"red\"\n"                // 12
      "[extra]\n";                        // 13
  const auto e = errors_of(text);
  CHECK(e == Lines{
                 "m.toml:2:8: error: node.name: expected a string, got integer",
                 "m.toml:3:1: error: unknown key \"lisen\" in [node] (did you mean \"listen\"?)",
                 "m.toml:4:17: error: node.memory_budget: invalid size \"12 parsecs\" (expected a number of bytes "
                 "with an optional unit: B, KB, KiB, MB, MiB, GB, GiB, TB, TiB)",
                 "m.toml:5:13: error: node.log_level: expected one of trace, debug, info, warn, error, critical, off, "
                 "got \"loud\"",
                 "m.toml:7:1: error: [plugins.b]: one of \"plugin\" (an id) or \"file\" (a path) is required",
                 "m.toml:8:11: error: plugins.b.enabled: expected a boolean, got integer",
                 "m.toml:12:1: error: unknown key \"colour\" in [plugins.a]",
                 "m.toml:13:2: error: unknown key \"extra\" in the top level",
             });
}

TEST_CASE("errors: a missing file names the path and the reason") {
  Diagnostics diags;
  const auto m = load_manifest_file("/nonexistent/butter/m.toml", diags);
  CHECK_FALSE(m);
  REQUIRE(diags.items.size() == 1);
  CHECK(diags.to_string() ==
        "/nonexistent/butter/m.toml: error: cannot read manifest \"/nonexistent/butter/m.toml\": " +
            std::string(std::strerror(ENOENT)) + "\n");
}

TEST_CASE("errors: a directory is not a manifest") {
  Diagnostics diags;
  CHECK_FALSE(load_manifest_file("/", diags));
  REQUIRE(diags.items.size() == 1);
  CHECK(diags.items[0].message == "cannot read manifest \"/\": " + std::string(std::strerror(EISDIR)));
}

TEST_CASE("errors: diagnostics are appended to what is already there") {
  Diagnostics diags;
  diags.add({"earlier", 99, 1}, "kept first");
  CHECK_FALSE(parse_manifest("[node]\nname = 1\n", "m.toml", diags));
  REQUIRE(diags.items.size() == 2);
  CHECK(diags.items[0].message == "kept first");
  CHECK(diags.items[1].pos.line == 2);
}

TEST_CASE("errors: connection manager watermarks out of range or inconsistent, defaults that follow") {
  CHECK(errors_of("[node]\nconnections_low_water = 0\n") ==
        Lines{"m.toml:2:25: error: node.connections_low_water: must be between 1 and 100000, got 0"});
  CHECK(errors_of("[node]\nconnection_idle_ms = -1\n") ==
        Lines{"m.toml:2:22: error: node.connection_idle_ms: must be between 0 and 86400000, got -1"});
  CHECK(errors_of("[node]\nconnections_low_water = 10\nconnections_high_water = 9\n") ==
        Lines{"m.toml:2:25: error: node.connections_low_water (10) must not exceed node.connections_high_water (9)"});
  CHECK(errors_of("[node]\nmax_connections = 16\nconnections_high_water = 17\n") ==
        Lines{"m.toml:3:26: error: node.connections_high_water (17) must not exceed node.max_connections (16)"});
  // Defaults follow an explicit smaller bound instead of failing a manifest that never named them.
  Diagnostics d;
  auto m = parse_manifest("[node]\nmax_connections = 4\n", "m.toml", d);
  REQUIRE(m);
  CHECK(m->node.connections_high_water == 4);
  CHECK(m->node.connections_low_water == 4);
  m = parse_manifest("[node]\nconnections_high_water = 5\nconnection_grace_ms = 0\nconnection_idle_ms = 0\n", "m.toml",
                     d);
  REQUIRE(m);
  CHECK(m->node.connections_low_water == 5);
  CHECK(m->node.connection_idle_ms == 0);
  m = parse_manifest("[node]\n", "m.toml", d);
  REQUIRE(m);
  CHECK(m->node.connections_low_water == 8);
  CHECK(m->node.connections_high_water == 32);
  CHECK(m->node.connection_grace_ms == 20000);
  CHECK(m->node.connection_idle_ms == 30000);
}
