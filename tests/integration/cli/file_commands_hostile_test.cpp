// butter get / cat against nodes that cannot be trusted, played by a fake HTTP server on loopback
// (fake_storage_node.hpp; no real node): one that accepts and never answers (the --timeout fires),
// one that serves a manifest that does not hash to the id, one whose bytes do not match its
// manifest (cat writes no byte of a block before it matched), one with no manifest (refused
// without --unverified), one that answers a resume with the wrong range, one whose body stops
// short of its Content-Length; and get never replaces an existing file without --force. Every
// refusal exits 1 and leaves no output file.
#include "cli_files.hpp"
#include "fake_storage_node.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

TEST_CASE("butter cat and get give up on a node that accepts and never answers, within --timeout") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", true});
  Dir d;
  std::string err;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url(), "--timeout", "1"}, d / "out", err,
                   std::chrono::seconds(30)) == 1);
  CHECK_THAT(err, Catch::Contains("did not answer") && Catch::Contains("nothing within 1 s"));
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url(), "--timeout", "0.5"}, d / "out", err,
                   std::chrono::seconds(30)) == 1);
  CHECK_THAT(err, Catch::Contains("nothing within 500 ms"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));
  // Each gave up after its own timeout, not the default minute.
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
  CHECK(node.requests() == 2);
  CHECK(run_butter(d, {"cat", o.id, "--timeout", "0"}, d / "out", err) == 2);
  CHECK_THAT(err, Catch::Contains("--timeout takes seconds"));
}

TEST_CASE("butter get and cat refuse a manifest that does not hash to the id and write nothing") {
  Object o;
  std::string forged = o.manifest;
  forged[30] = static_cast<char>(forged[30] ^ 1);
  FakeNode node(Script{o.id, forged, o.data, "", false});
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("does not hash to the object id"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url()}, d / "out", err) == 1);
  CHECK(read_file(d / "out").empty());
}

TEST_CASE("butter get and cat refuse bytes that do not match the manifest, and cat writes only verified blocks") {
  Object o;
  std::string lie = o.data;
  lie[2 * kBlock + 5] = static_cast<char>(lie[2 * kBlock + 5] ^ 0x40);  // the third block
  FakeNode node(Script{o.id, o.manifest, lie, "", false});
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("block 2 does not match"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));
  // Standard output gets the two blocks that matched and not one byte of the third.
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("block 2 does not match"));
  CHECK(read_file(d / "out") == o.data.substr(0, 2 * kBlock));
}

TEST_CASE("butter get and cat stop at a body cut short of its Content-Length, and cat writes only verified blocks") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false}, 2 * kBlock + 10);
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("broke off"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("broke off"));
  CHECK(read_file(d / "out") == o.data.substr(0, 2 * kBlock));
}

TEST_CASE("butter get refuses an object served without a manifest unless --unverified") {
  Object o;
  FakeNode node(Script{o.id, std::nullopt, o.data, "", false});
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("serves no manifest") && Catch::Contains("--unverified"));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url()}, d / "out", err) == 1);
  CHECK(read_file(d / "out").empty());
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--unverified", "--node", node.url()}, d / "out", err) == 0);
  CHECK_THAT(err, Catch::Contains("UNVERIFIED"));
  CHECK(read_file(d / "x") == o.data);
}

TEST_CASE("butter get does not replace an existing file without --force") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  std::string err;
  write_file(d / "x", "mine");
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("exists") && Catch::Contains("--force"));
  CHECK(read_file(d / "x") == "mine");
  CHECK(node.requests() == 0);  // refused before asking the node anything
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--force", "--node", node.url()}, d / "out", err) == 0);
  CHECK(read_file(d / "x") == o.data);
}

TEST_CASE("butter get refuses a 206 whose Content-Range is not exactly the range it asked for") {
  Object o;
  const std::string total = std::to_string(o.data.size());
  Dir d;
  std::string err;
  // Resuming after one verified block: bytes 1024-... asked for.
  for (const std::string& wrong :
       {"bytes 0-" + std::to_string(o.data.size() - 1) + "/" + total,                             // another start
        "bytes 1024-2047/" + total,                                                               // another end
        "bytes 1024-" + std::to_string(o.data.size()) + "/" + std::to_string(o.data.size() + 1),  // another total
        std::string("bytes */") + total}) {                                                       // no range
    INFO(wrong);
    FakeNode node(Script{o.id, o.manifest, o.data, wrong, false});
    write_file(d / "x.part", o.data.substr(0, kBlock));
    CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
    CHECK_THAT(err, Catch::Contains("resuming") && Catch::Contains("range \"", Catch::CaseSensitive::No));
    CHECK_FALSE(fs::exists(d / "x"));
  }
  // The right range is taken.
  FakeNode node(
      Script{o.id, o.manifest, o.data, "bytes 1024-" + std::to_string(o.data.size() - 1) + "/" + total, false});
  write_file(d / "x.part", o.data.substr(0, kBlock));
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--node", node.url()}, d / "out", err) == 0);
  CHECK_THAT(err, Catch::Contains("(206 Partial Content)"));
  CHECK(read_file(d / "x") == o.data);
}
