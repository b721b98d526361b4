// butter put / get / cat / search against a real node (storage and search plugins, in this
// process) over loopback, run as real `butter` processes: a file of several MiB round-trips with
// its bytes intact, cat writes it to stdout, a missing id and an unreachable node give clear
// errors, a .part left by an interrupted get is resumed with a Range request (and a corrupt one is
// not trusted), search finds the put's keywords; and the GET route's Range answers (206, 416).
#include "cli_files.hpp"
#include "support/free_ports.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

std::string storage_node() {
  return loopback_manifest("files",
                           plugin_table("storage", "butter.storage.pcg", "replicas = 1\ncapacity_bytes = 268435456") +
                               plugin_table("search", "butter.ir.dbfs"));
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

TEST_CASE("butter put and get round-trip a file of several MiB, cat writes it out, search finds it") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, storage_node());
  const std::string url = node->http_url();
  Dir d;
  const std::string data = random_bytes(6 * 1024 * 1024 + 123, 7);
  write_file(d / "in.bin", data);

  std::string err;
  REQUIRE(run_butter(d, {"put", d / "in.bin", "--keywords", "holiday,photos", "--node", url}, d / "id.txt", err) == 0);
  const std::string id = trim(read_file(d / "id.txt"));
  INFO(err);
  REQUIRE(id.size() == 64);

  REQUIRE(run_butter(d, {"get", id, "-o", d / "out.bin", "--node", url}, d / "get.txt", err) == 0);
  CHECK_THAT(err, Catch::Contains("every block verified"));
  CHECK(read_file(d / "out.bin") == data);
  CHECK_FALSE(fs::exists(d / "out.bin.part"));

  REQUIRE(run_butter(d, {"cat", id, "--node", url}, d / "cat.bin", err) == 0);
  CHECK(read_file(d / "cat.bin") == data);

  // The search plugin indexes the put when storage announces it: ask until it has.
  CHECK(wait_until(
      [&] {
        return run_butter(d, {"search", "holiday", "--node", url}, d / "hits.txt", err) == 0 &&
               read_file(d / "hits.txt").find(id) != std::string::npos;
      },
      std::chrono::seconds(60)));

  // The route under the commands: ranges, and a range beyond the end.
  std::string host, target;
  std::uint16_t port = 0;
  split_http_url(url, host, port, target);
  auto part = http_request_with(host, port, "GET", "/storage/" + id, {{"Range", "bytes=1000-1999"}});
  CHECK(part.status == 206);
  CHECK(part.header("Content-Range") == "bytes 1000-1999/" + std::to_string(data.size()));
  CHECK(part.header("ETag") == "\"" + id + "\"");
  CHECK(part.body == data.substr(1000, 1000));
  auto tail = http_request_with(host, port, "GET", "/storage/" + id, {{"Range", "bytes=-10"}});
  CHECK(tail.status == 206);
  CHECK(tail.body == data.substr(data.size() - 10));
  auto beyond =
      http_request_with(host, port, "GET", "/storage/" + id, {{"Range", "bytes=" + std::to_string(data.size()) + "-"}});
  CHECK(beyond.status == 416);
  CHECK(beyond.header("Content-Range") == "bytes */" + std::to_string(data.size()));
}

TEST_CASE("butter get resumes from a .part file, and does not trust a corrupt one") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, storage_node());
  const std::string url = node->http_url();
  Dir d;
  const std::string data = random_bytes(5 * 1024 * 1024 + 9, 11);
  write_file(d / "in.bin", data);
  std::string err;
  REQUIRE(run_butter(d, {"put", d / "in.bin", "--node", url}, d / "id.txt", err) == 0);
  const std::string id = trim(read_file(d / "id.txt"));
  REQUIRE(id.size() == 64);

  // An interrupted get left the first 3 MiB + 5 bytes.
  write_file(d / "out.bin.part", data.substr(0, 3 * 1024 * 1024 + 5));
  REQUIRE(run_butter(d, {"get", id, "-o", d / "out.bin", "--node", url}, d / "get.txt", err) == 0);
  CHECK_THAT(err, Catch::Contains("resuming") && Catch::Contains("at byte"));
  // The node answered the resume with the rest only, as a 206 naming exactly those bytes.
  CHECK_THAT(err, Catch::Contains("the node sent bytes " + std::to_string(3 * 1024 * 1024) + "-" +
                                  std::to_string(data.size() - 1) + "/" + std::to_string(data.size()) +
                                  " (206 Partial Content)"));
  CHECK(read_file(d / "out.bin") == data);

  // A .part whose first block is not the object's: nothing of it is kept.
  std::string bad = data.substr(0, 2 * 1024 * 1024);
  bad[10] = static_cast<char>(bad[10] ^ 0x55);
  write_file(d / "again.bin.part", bad);
  REQUIRE(run_butter(d, {"get", id, "-o", d / "again.bin", "--node", url}, d / "get2.txt", err) == 0);
  CHECK_THAT(err, !Catch::Contains("resuming"));
  CHECK(read_file(d / "again.bin") == data);
}

TEST_CASE("butter get of a missing id, an unreachable node and a bad id fail with a clear reason") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode node(rt, registry, storage_node());
  const std::string url = node->http_url();
  Dir d;
  std::string err;
  const std::string missing(64, 'a');
  CHECK(run_butter(d, {"get", missing, "-o", d / "x", "--node", url}, d / "o.txt", err) == 1);
  CHECK_THAT(err, Catch::Contains("not found"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));

  const auto ports = free_ports(1);
  CHECK(run_butter(d, {"cat", missing, "--node", "http://127.0.0.1:" + std::to_string(ports[0])}, d / "o.txt", err) ==
        1);
  CHECK_THAT(err, Catch::Contains("cannot reach the node") && Catch::Contains("is a node running"));

  CHECK(run_butter(d, {"get", "xyz", "--node", url}, d / "o.txt", err) == 1);
  CHECK_THAT(err, Catch::Contains("not an object id"));
  CHECK(run_butter(d, {"put", d / "nope.bin", "--node", url}, d / "o.txt", err) == 1);
  CHECK_THAT(err, Catch::Contains("not a readable file"));
}
