// butter get / cat against a node whose answers break off mid-object, played by a fake HTTP server
// on loopback (fake_storage_node.hpp): the command asks again with `Range: bytes=N-` from the first
// byte not yet verified and written (a block cut by the break comes again whole), says so on
// stderr, and ends with the object's exact bytes; it keeps on while answers bring new verified
// blocks, gives up after a few in a row that bring none (saying how far it got and why), never
// asks again after bytes that do not match the manifest, and --no-resume stops at the first break.
#include "cli_files.hpp"
#include "fake_storage_node.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

using Ranges = std::vector<std::string>;

// Runs `butter cat` or `butter get -o x` against `node`; the object's bytes as written ("" when
// the command wrote no x).
int fetch(const std::string& cmd, const Dir& d, const Object& o, const FakeNode& node, std::string& err,
          std::string& bytes, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {cmd, o.id, "--node", node.url()};
  if (cmd == "get") args.insert(args.end(), {"-o", d / "x"});
  args.insert(args.end(), extra.begin(), extra.end());
  fs::remove(d / "x");
  const int rc = run_butter(d, args, d / "out", err, std::chrono::seconds(60));
  bytes = cmd == "cat" ? read_file(d / "out") : fs::exists(d / "x") ? read_file(d / "x") : "";
  return rc;
}

std::size_t count(const std::string& text, const std::string& word) {
  std::size_t n = 0;
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("butter cat and get resume an answer that breaks off mid-object from the first unverified byte") {
  Object o;
  for (const std::string cmd : {"cat", "get"}) {
    INFO(cmd);
    // The first answer stops 10 bytes into the third block: two blocks verified, the third asked again whole.
    FakeNode node(Script{o.id, o.manifest, o.data, "", false}, Serving{true, {2 * kBlock + 10}});
    Dir d;
    std::string err, bytes;
    CHECK(fetch(cmd, d, o, node, err, bytes) == 0);
    CHECK(bytes == o.data);
    CHECK(node.ranges_asked() == Ranges{"", "bytes=2048-"});
    CHECK_THAT(err, Catch::Contains("interrupted after 2048 verified bytes (the answer broke off") &&
                        Catch::Contains("resuming from there"));
    CHECK_FALSE(fs::exists(d / "x.part"));
  }
}

TEST_CASE("butter cat keeps resuming while each answer brings a new verified block") {
  Object o;
  // Three answers that each bring one block and break off, one that brings none, then the rest:
  // more breaks than the 3 allowed in a row without progress, but never 3 in a row.
  FakeNode node(Script{o.id, o.manifest, o.data, "", false},
                Serving{true, {kBlock + 10, kBlock + 10, kBlock + 10, 10}});
  Dir d;
  std::string err, bytes;
  CHECK(fetch("cat", d, o, node, err, bytes) == 0);
  CHECK(bytes == o.data);
  CHECK(node.ranges_asked() == Ranges{"", "bytes=1024-", "bytes=2048-", "bytes=3072-", "bytes=3072-"});
  CHECK(count(err, "resuming") == 4);
}

TEST_CASE("butter cat resumed by a node that ignores the range writes no byte twice") {
  Object o;
  // No ranges: the second answer is the whole object again (200), whose first two blocks cat
  // already wrote.
  FakeNode node(Script{o.id, o.manifest, o.data, "", false}, Serving{false, {2 * kBlock + 10}});
  Dir d;
  std::string err, bytes;
  CHECK(fetch("cat", d, o, node, err, bytes) == 0);
  CHECK(bytes == o.data);
  CHECK(node.ranges_asked() == Ranges{"", "bytes=2048-"});
}

TEST_CASE("butter cat and get give up after 3 resumes in a row without a new verified block") {
  Object o;
  for (const std::string cmd : {"cat", "get"}) {
    INFO(cmd);
    // Two blocks, then answers that break off 10 bytes in, as many as are asked for.
    FakeNode node(Script{o.id, o.manifest, o.data, "", false},
                  Serving{true, {2 * kBlock + 10, 10, 10, 10, 10, 10, 10}});
    Dir d;
    std::string err, bytes;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(fetch(cmd, d, o, node, err, bytes) == 1);
    // The pauses between tries are 0.25 + 0.5 + 1 s.
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
    CHECK(node.ranges_asked() == Ranges{"", "bytes=2048-", "bytes=2048-", "bytes=2048-"});
    CHECK(count(err, "resuming") == 3);
    CHECK_THAT(err, Catch::Contains("interrupted after 2048 verified bytes; retried 3 times (the last 3 without a new "
                                    "verified block): the answer broke off"));
    if (cmd == "cat") {
      CHECK(bytes == o.data.substr(0, 2 * kBlock));
    } else {
      CHECK_FALSE(fs::exists(d / "x"));
      CHECK(read_file(d / "x.part") == o.data.substr(0, 2 * kBlock));  // the next get resumes it
    }
  }
}

TEST_CASE("butter cat and get do not ask again after bytes that do not match the manifest") {
  Object o;
  std::string lie = o.data;
  lie[2 * kBlock + 500] = static_cast<char>(lie[2 * kBlock + 500] ^ 0x40);  // the third block, past the cut
  for (const std::string cmd : {"cat", "get"}) {
    INFO(cmd);
    FakeNode node(Script{o.id, o.manifest, lie, "", false}, Serving{true, {2 * kBlock + 10}});
    Dir d;
    std::string err, bytes;
    CHECK(fetch(cmd, d, o, node, err, bytes) == 1);
    // Resumed once after the break; the resumed answer's bad block ends it at once.
    CHECK(node.ranges_asked() == Ranges{"", "bytes=2048-"});
    CHECK(count(err, "resuming") == 1);
    CHECK_THAT(err, Catch::Contains("block 2 does not match"));
    CHECK(bytes == (cmd == "cat" ? o.data.substr(0, 2 * kBlock) : ""));
  }
}

TEST_CASE("butter cat and get with --no-resume stop at the first break") {
  Object o;
  for (const std::string cmd : {"cat", "get"}) {
    INFO(cmd);
    FakeNode node(Script{o.id, o.manifest, o.data, "", false}, Serving{true, {2 * kBlock + 10}});
    Dir d;
    std::string err, bytes;
    CHECK(fetch(cmd, d, o, node, err, bytes, {"--no-resume"}) == 1);
    CHECK(node.ranges_asked() == Ranges{""});
    CHECK_THAT(err, Catch::Contains("interrupted after 2048 verified bytes: the answer broke off"));
    CHECK_FALSE(Catch::Contains("resuming").match(err));
  }
}
