// Diagnostic rendering, the suggestion helper and the address syntax checks.
#include <catch2/catch.hpp>

#include "manifest/address_syntax.hpp"
#include "manifest/manifest.hpp"
#include "manifest/suggest.hpp"

#include <array>

using namespace butter::host;
using namespace butter::host::manifest_detail;

TEST_CASE("diagnostic: file line and column") {
  CHECK(Diagnostic{{"m.toml", 3, 10}, "boom"}.to_string() == "m.toml:3:10: error: boom");
  CHECK(Diagnostic{{"m.toml", 3, 0}, "boom"}.to_string() == "m.toml:3: error: boom");
  CHECK(Diagnostic{{"m.toml", 0, 0}, "boom"}.to_string() == "m.toml: error: boom");
  CHECK(Diagnostic{{"", 0, 0}, "boom"}.to_string() == "error: boom");
}

TEST_CASE("diagnostics: one per line") {
  Diagnostics d;
  CHECK(d.empty());
  CHECK(d.to_string().empty());
  d.add({"a.toml", 1, 2}, "first");
  d.add({"a.toml", 3, 4}, "second");
  CHECK_FALSE(d.empty());
  CHECK(d.to_string() == "a.toml:1:2: error: first\na.toml:3:4: error: second\n");
}

TEST_CASE("suggest: closest key within a small edit distance") {
  constexpr std::array<std::string_view, 4> keys{"listen", "log_level", "name", "bootstrap"};
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("ab", "ba") == 1);
  CHECK(edit_distance("nmae", "name") == 1);
  CHECK(closest("lisen", keys) == "listen");
  CHECK(closest("nmae", keys) == "name");
  CHECK(closest("bootstrapp", keys) == "bootstrap");
  CHECK(closest("zzzzzz", keys).empty());
  CHECK(closest("log", keys) == "log_level");  // a prefix
  constexpr std::array<std::string_view, 3> levels{"warn", "error", "off"};
  CHECK(closest("warning", levels) == "warn");
  CHECK(closest("of", levels) == "off");
  CHECK(closest("wa", levels).empty());    // prefixes shorter than 3 do not count
  CHECK(closest("listen", keys).empty());  // an exact match is no suggestion
  CHECK(did_you_mean("lisen", keys) == " (did you mean \"listen\"?)");
  CHECK(did_you_mean("qqq", keys).empty());
}

TEST_CASE("address syntax: host and port") {
  CHECK(host_port_problem("127.0.0.1:8080").empty());
  CHECK(host_port_problem("localhost:0").empty());
  CHECK(host_port_problem("[::1]:65535").empty());
  CHECK_FALSE(host_port_problem("127.0.0.1").empty());
  CHECK_FALSE(host_port_problem(":80").empty());
  CHECK_FALSE(host_port_problem("host:").empty());
  CHECK_FALSE(host_port_problem("host:65536").empty());
  CHECK_FALSE(host_port_problem("host:123456").empty());
  CHECK_FALSE(host_port_problem("host:8x").empty());
  CHECK_FALSE(host_port_problem("::1:80").empty());
  CHECK_FALSE(host_port_problem("[::1:80").empty());
  CHECK_FALSE(host_port_problem("[]:80").empty());
}

TEST_CASE("address syntax: endpoint URIs") {
  CHECK(endpoint_uri_problem("tcp://127.0.0.1:7000").empty());
  CHECK(endpoint_uri_problem("tcp://[::1]:7000").empty());
  CHECK(endpoint_uri_problem("relay://node-abc/via/xyz").empty());
  CHECK_FALSE(endpoint_uri_problem("127.0.0.1:7000").empty());
  CHECK_FALSE(endpoint_uri_problem("://x").empty());
  CHECK_FALSE(endpoint_uri_problem("1tcp://x:1").empty());
  CHECK_FALSE(endpoint_uri_problem("tcp://").empty());
  CHECK_FALSE(endpoint_uri_problem("tcp://host").empty());
  CHECK_FALSE(endpoint_uri_problem("tcp://host:70000").empty());
  CHECK_FALSE(endpoint_uri_problem("tcp://host:1/path").empty());
  CHECK_FALSE(endpoint_uri_problem("relay://a b").empty());
}

// Found by fuzz/endpoint_fuzz.cpp: the check took "TCP://" for another scheme and passed a URI that
// the transport (which lower-cases the scheme) then refused at start.
TEST_CASE("address syntax: what the manifest accepts the transport parses (fuzz)") {
  CHECK(endpoint_uri_problem("TCP://127.0.0.1:7000").empty());
  CHECK_FALSE(endpoint_uri_problem("TCP://localho//loca35").empty());
  CHECK_FALSE(endpoint_uri_problem("Tcp://host").empty());
  // Likewise a host with '?' or '#', which parse_endpoint() refuses.
  CHECK_FALSE(endpoint_uri_problem("TCP://loc?alhost:31070").empty());
  CHECK_FALSE(endpoint_uri_problem("tcp://a#b:1").empty());
  CHECK_FALSE(host_port_problem("a?b:1").empty());
}
