// butter get through a node that does not hold the object, with real nodes (storage, search and
// known hosts, in this process) over loopback: an object stored on the other node is located and
// got, verified; an object nobody holds fails after the node located it once. The node's answer to
// the manifest request (404 "BUTTER_E_NOT_FOUND: ..." once its peers answered and its search ended,
// seconds with a peer) is the end of it: get used to send a HEAD after it, which located the
// object a second time, as long again, for the same answer (10 s instead of 5 with one peer).
#include "cli_files.hpp"
#include "support/test_node.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

std::string locating_node(const std::string& name, const std::string& bootstrap = "") {
  return loopback_manifest(name,
                           plugin_table("peers", "butter.knownhosts.quality") +
                               plugin_table("storage", "butter.storage.pcg", "replicas = 1") +
                               plugin_table("search", "butter.ir.dbfs"),
                           bootstrap.empty() ? "" : "bootstrap = [\"" + bootstrap + "\"]\n");
}

std::string first_line(std::string s) { return s.substr(0, s.find('\n')); }

}  // namespace

TEST_CASE("butter get through another node gets an object held there and fails once on one held nowhere") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, locating_node("holder"));
  TestNode b(rt, registry, locating_node("asker", a.endpoint()));
  REQUIRE(wait_until([&] { return b.counter("peers", "knownhosts_hosts") >= 1; }, std::chrono::seconds(20)));
  Dir d;
  std::string err;
  const std::string data = random_bytes(200 * 1024 + 5, 3);
  write_file(d / "in.bin", data);
  REQUIRE(run_butter(d, {"put", d / "in.bin", "--node", a->http_url()}, d / "id.txt", err) == 0);
  const std::string id = first_line(read_file(d / "id.txt"));
  REQUIRE(id.size() == 64);

  // Held on A only: B locates it and serves it, every block verified.
  REQUIRE(run_butter(d, {"get", id, "-o", d / "out.bin", "--node", b->http_url()}, d / "o.txt", err) == 0);
  CHECK_THAT(err, Catch::Contains("every block verified"));
  CHECK(read_file(d / "out.bin") == data);

  // Held nowhere: one streamed read on B (the manifest request's), then the answer.
  const std::uint64_t reads = b.counter("storage", "pcg_streams_opened_total");
  const std::string missing(64, 'e');
  CHECK(run_butter(d, {"get", missing, "-o", d / "x", "--node", b->http_url()}, d / "o.txt", err) == 1);
  CHECK_THAT(err, Catch::Contains("object " + missing + " not found: no node reachable from " + b->http_url()));
  CHECK(wait_until([&] { return b.counter("storage", "pcg_streams_opened_total") > reads; }, std::chrono::seconds(10)));
  CHECK(b.counter("storage", "pcg_streams_opened_total") == reads + 1);
  CHECK_FALSE(fs::exists(d / "x.part"));
}
