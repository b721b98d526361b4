// Valid manifests: every [node] key, plugin tables with their config values and positions, the
// embedded default manifest, and loading from a file.
#include <catch2/catch.hpp>

#include "manifest/manifest.hpp"
#include "transport/punch_budget.hpp"  // only to compare defaults with the punch budget's

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace butter::host;

namespace {

const char* const kFull =
    "[node]\n"                                                     // 1
    "name = \"alice\"\n"                                           // 2
    "listen = [\"tcp://127.0.0.1:7000\", \"tcp://[::1]:7001\"]\n"  // 3
    "http = \"\"\n"                                                // 4
    "memory_budget = \"1GiB\"\n"                                   // 5
    "data_dir = \"/var/lib/butter\"\n"                             // 6
    "log_level = \"debug\"\n"                                      // 7
    "plugin_path = [\"../plugins\", \"/opt/butter\"]\n"            // 8
    "bootstrap = [\"tcp://10.0.0.1:7000\", \"relay://peer-1\"]\n"  // 9
    "max_frame_bytes = 65536\n"                                    // 10
    "\n"                                                           // 11
    "[plugins.zeta]\n"                                             // 12
    "file = \"libs/zeta.so\"\n"                                    // 13
    "enabled = false\n"                                            // 14
    "\n"                                                           // 15
    "[plugins.echo]\n"                                             // 16
    "plugin = \"butter.example.echo\"\n"                           // 17
    "[plugins.echo.config]\n"                                      // 18
    "greeting = \"hi\"\n"                                          // 19
    "count = 3\n"                                                  // 20
    "ratio = 0.5\n"                                                // 21
    "loud = true\n"                                                // 22
    "peers = [\"a\", \"b\"]\n"                                     // 23
    "none = []\n";                                                 // 24

}  // namespace

TEST_CASE("parse: a full manifest") {
  Diagnostics diags;
  const auto m = parse_manifest(kFull, "/etc/butter/node.toml", diags);
  INFO(diags.to_string());
  REQUIRE(m);
  CHECK(diags.empty());
  CHECK(m->source == "/etc/butter/node.toml");
  CHECK(m->directory == "/etc/butter");
  CHECK(m->node.name == "alice");
  CHECK(m->node.listen == std::vector<std::string>{"tcp://127.0.0.1:7000", "tcp://[::1]:7001"});
  CHECK(m->node.http.empty());
  CHECK(m->node.memory_budget == 1024ull * 1024 * 1024);
  CHECK(m->node.data_dir == "/var/lib/butter");
  CHECK(m->node.log_level == "debug");
  CHECK(m->node.plugin_path == std::vector<std::string>{"../plugins", "/opt/butter"});
  CHECK(m->node.bootstrap == std::vector<std::string>{"tcp://10.0.0.1:7000", "relay://peer-1"});
  CHECK(m->node.max_frame_bytes == 65536u);
  CHECK(m->node.pos.line == 1);
  CHECK(m->node.pos.column == 1);

  // In file order, not key order.
  REQUIRE(m->plugins.size() == 2);
  const PluginSpec& zeta = m->plugins[0];
  CHECK(zeta.instance == "zeta");
  CHECK(zeta.plugin_id.empty());
  CHECK(zeta.file == "/etc/butter/libs/zeta.so");
  CHECK_FALSE(zeta.enabled);
  CHECK(zeta.pos.line == 12);
  CHECK(zeta.pos.column == 1);
  CHECK(zeta.config.empty());

  const PluginSpec& echo = m->plugins[1];
  CHECK(echo.instance == "echo");
  CHECK(echo.plugin_id == "butter.example.echo");
  CHECK(echo.file.empty());
  CHECK(echo.enabled);
  CHECK(echo.pos.file == "/etc/butter/node.toml");
  CHECK(echo.pos.line == 16);
  REQUIRE(echo.config.size() == 6);
  CHECK(std::get<std::string>(echo.config.at("greeting").value) == "hi");
  CHECK(echo.config.at("greeting").pos.line == 19);
  CHECK(echo.config.at("greeting").pos.column == 12);
  CHECK(echo.config.at("greeting").pos.file == "/etc/butter/node.toml");
  CHECK(std::get<std::int64_t>(echo.config.at("count").value) == 3);
  CHECK(echo.config.at("count").pos.line == 20);
  CHECK(std::get<double>(echo.config.at("ratio").value) == 0.5);
  CHECK(std::get<bool>(echo.config.at("loud").value));
  CHECK(std::get<std::vector<std::string>>(echo.config.at("peers").value) == std::vector<std::string>{"a", "b"});
  CHECK(std::get<std::vector<std::string>>(echo.config.at("none").value).empty());
  CHECK(echo.config.at("none").pos.line == 24);
}

TEST_CASE("parse: defaults when keys are absent") {
  Diagnostics diags;
  const auto m = parse_manifest("", "empty.toml", diags);
  REQUIRE(m);
  const NodeSpec defaults;
  CHECK(m->node.name == defaults.name);
  CHECK(m->node.listen == defaults.listen);
  CHECK(m->node.http == defaults.http);
  CHECK(m->node.memory_budget == defaults.memory_budget);
  CHECK(m->node.log_level == "info");
  CHECK(m->node.max_frame_bytes == defaults.max_frame_bytes);
  CHECK_FALSE(m->node.insecure_plaintext);
  CHECK(m->node.pos.line == 0);
  CHECK(m->plugins.empty());
  CHECK(m->directory.empty());
}

TEST_CASE("parse: sizes as strings and integers") {
  Diagnostics diags;
  const auto m = parse_manifest("[node]\nmemory_budget = 4096\nmax_frame_bytes = \"1KiB\"\n", "m.toml", diags);
  REQUIRE(m);
  CHECK(m->node.memory_budget == 4096u);
  CHECK(m->node.max_frame_bytes == 1024u);
  const auto big = parse_manifest("[node]\nmax_frame_bytes = \"1GiB\"\nmemory_budget = \"512KB\"\n", "m.toml", diags);
  REQUIRE(big);
  CHECK(big->node.max_frame_bytes == 1024ull * 1024 * 1024);
  CHECK(big->node.memory_budget == 512000u);
}

TEST_CASE("parse: connection limits and the queue bound reach the node spec and default like the transport") {
  Diagnostics diags;
  const auto m = parse_manifest(
      "[node]\nmax_connections = 100\nmax_connections_per_peer = 2\nmax_handshakes_per_address = 8\n"
      "max_handshakes_per_second = 50\nmax_queued_bytes_per_connection = \"1MiB\"\n"
      "punch_syns_per_ip_per_minute = 10\npunch_syns_per_second = 20\npunch_spread_syns_per_ip_per_minute = 30\n",
      "m.toml", diags);
  INFO(diags.to_string());
  REQUIRE(m);
  CHECK(m->node.max_connections == 100u);
  CHECK(m->node.max_connections_per_peer == 2u);
  CHECK(m->node.max_handshakes_per_address == 8u);
  CHECK(m->node.max_handshakes_per_second == 50u);
  CHECK(m->node.max_queued_bytes_per_connection == 1024u * 1024u);
  CHECK(m->node.punch_syns_per_ip_per_minute == 10u);
  CHECK(m->node.punch_syns_per_second == 20u);
  CHECK(m->node.punch_spread_syns_per_ip_per_minute == 30u);
  // Absent keys take the one default of each limit (TransportLimits, the transport's too).
  const auto d = parse_manifest("", "empty.toml", diags);
  REQUIRE(d);
  const TransportLimits t;
  CHECK(static_cast<const TransportLimits&>(d->node) == t);
  CHECK(d->node.max_connections == t.max_connections);
  CHECK(d->node.max_connections_per_peer == t.max_connections_per_peer);
  CHECK(d->node.max_handshakes_per_address == t.max_handshakes_per_address);
  CHECK(d->node.max_handshakes_per_second == t.max_handshakes_per_second);
  CHECK(d->node.max_queued_bytes_per_connection == t.max_queued_bytes_per_connection);
  CHECK(d->node.max_frame_bytes == t.max_frame_bytes);
  CHECK(d->node.max_inflight_requests == t.max_inflight_requests);
  // The punch budget the transport builds from them (per IP a minute is also the burst).
  const PunchBudgetLimits p = PunchBudgetLimits::limits_of(d->node);
  CHECK(d->node.punch_syns_per_ip_per_minute == p.per_ip_per_minute);
  CHECK(d->node.punch_syns_per_ip_per_minute == p.per_ip_burst);
  CHECK(d->node.punch_syns_per_second == p.per_second);
  CHECK(d->node.punch_spread_syns_per_ip_per_minute == p.spread_per_ip_per_minute);
  // And a budget made with no limits given has the same.
  CHECK(PunchBudgetLimits{}.per_ip_per_minute == p.per_ip_per_minute);
  CHECK(PunchBudgetLimits{}.per_ip_burst == p.per_ip_burst);
  CHECK(PunchBudgetLimits{}.per_second == p.per_second);
  CHECK(PunchBudgetLimits{}.spread_per_ip_per_minute == p.spread_per_ip_per_minute);
}

TEST_CASE("parse: relative plugin files") {
  Diagnostics diags;
  const std::string text = "[plugins.a]\nfile = \"x/../a.so\"\n[plugins.b]\nfile = \"/abs/b.so\"\n";
  SECTION("against the manifest's directory") {
    const auto m = parse_manifest(text, "conf/m.toml", diags);
    REQUIRE(m);
    CHECK(m->directory == "conf");
    CHECK(m->plugins[0].file == "conf/a.so");
    CHECK(m->plugins[1].file == "/abs/b.so");
  }
  SECTION("with an explicit directory") {
    const auto m = parse_manifest(text, "m.toml", "/srv", diags);
    REQUIRE(m);
    CHECK(m->plugins[0].file == "/srv/a.so");
  }
  SECTION("left as written without a directory") {
    const auto m = parse_manifest(text, "<string>", diags);
    REQUIRE(m);
    CHECK(m->directory.empty());
    CHECK(m->plugins[0].file == "x/../a.so");
  }
}

TEST_CASE("parse: quoted keys and inline tables") {
  Diagnostics diags;
  const auto m =
      parse_manifest("plugins = { inline-one = { plugin = \"p\", config = { \"a key\" = 1 } } }\n", "m.toml", diags);
  INFO(diags.to_string());
  REQUIRE(m);
  REQUIRE(m->plugins.size() == 1);
  CHECK(m->plugins[0].instance == "inline-one");
  CHECK(m->plugins[0].config.count("a key") == 1);
}

TEST_CASE("default manifest: embedded and valid") {
  CHECK(default_manifest_text().find("[node]") != std::string_view::npos);
  Diagnostics diags;
  const auto m = load_default_manifest(diags);
  INFO(diags.to_string());
  REQUIRE(m);
  CHECK(m->source == "<default manifest>");
  CHECK(m->directory.empty());
  REQUIRE_FALSE(m->node.listen.empty());
  for (const auto& endpoint : m->node.listen) CHECK(endpoint.rfind("tcp://127.0.0.1:", 0) == 0);
  CHECK(m->node.http.rfind("127.0.0.1:", 0) == 0);
  CHECK(m->node.memory_budget == 256ull * 1024 * 1024);
}

#ifdef BUTTER_SOURCE_DIR
TEST_CASE("default manifest: the same as manifests/default.toml") {
  std::ifstream in(std::string(BUTTER_SOURCE_DIR) + "/manifests/default.toml", std::ios::binary);
  REQUIRE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(default_manifest_text() == text);
}
#endif

TEST_CASE("load: a file from disk") {
  const auto dir = std::filesystem::temp_directory_path() / ("butter-manifest-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "node.toml").string();
  {
    std::ofstream out(path);
    out << "[node]\nname = \"disk\"\n[plugins.p]\nfile = \"p.so\"\n";
  }
  Diagnostics diags;
  const auto m = load_manifest_file(path, diags);
  INFO(diags.to_string());
  REQUIRE(m);
  CHECK(m->source == path);
  CHECK(m->node.name == "disk");
  CHECK(std::filesystem::path(m->directory) == dir.lexically_normal());
  CHECK(m->plugins[0].file == (dir / "p.so").lexically_normal().string());
  std::filesystem::remove_all(dir);
}

TEST_CASE("parse: insecure_plaintext is an explicit boolean") {
  Diagnostics diags;
  const auto m = parse_manifest("[node]\ninsecure_plaintext = true\n", "m.toml", diags);
  REQUIRE(m);
  CHECK(m->node.insecure_plaintext);
  Diagnostics bad;
  CHECK_FALSE(parse_manifest("[node]\ninsecure_plaintext = \"yes\"\n", "m.toml", bad));
}
