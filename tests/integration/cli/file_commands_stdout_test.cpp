// Standard output of butter cat, put and search, against the fake node (fake_storage_node.hpp) on
// loopback: a closed one is refused before anything is asked of the node, with the real reason
// (EBADF), and a write that fails only when the last bytes are flushed (a full device) still fails
// the command; put then names the id it stored on stderr. put and search exited 0 in both cases.
#include "cli_files.hpp"
#include "fake_storage_node.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace butter;
using namespace butter::test;

TEST_CASE("butter cat with standard output closed fails with the real reason before fetching anything") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  Process p({"/bin/sh", "-c", "'" + kButter + "' cat " + o.id + " --node " + node.url() + " >&-"}, d / "stderr.log");
  CHECK(p.wait_exit(std::chrono::seconds(60)) == 1);
  const std::string err = p.log();
  CHECK_THAT(err, Catch::Contains("cannot write to standard output: Bad file descriptor"));
  CHECK_THAT(err, !Catch::Contains("Invalid argument"));
  CHECK(node.requests() == 0);
}

TEST_CASE("butter cat fails when the last bytes cannot be flushed to standard output") {
  Object o;  // a few KiB: they stay in stdio's buffer until the end
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"cat", o.id, "--node", node.url()}, "/dev/full", err) == 1);
  CHECK_THAT(err, Catch::Contains("cannot write to standard output: No space left on device"));
}

TEST_CASE("butter put with standard output closed stores nothing and says why") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  write_file(d / "f", o.data);
  Process p({"/bin/sh", "-c", "'" + kButter + "' put '" + d / "f" + "' --node " + node.url() + " >&-"},
            d / "stderr.log");
  CHECK(p.wait_exit(std::chrono::seconds(60)) == 1);
  CHECK_THAT(p.log(), Catch::Contains("cannot write to standard output: Bad file descriptor; nothing was stored"));
  CHECK(node.requests() == 0);
}

TEST_CASE("butter put fails when the id cannot be written to standard output and names it on stderr") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  write_file(d / "f", o.data);
  std::string err;
  CHECK(run_butter(d, {"put", d / "f", "--node", node.url()}, "/dev/full", err) == 1);
  CHECK_THAT(err, Catch::Contains("cannot write to standard output: No space left on device; the object is stored as " +
                                  o.id));
  CHECK(node.requests() == 2);  // the put and its manifest: stored and checked before the id went out
}

TEST_CASE("butter search with standard output closed fails with the real reason before asking the node") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  Process p({"/bin/sh", "-c", "'" + kButter + "' search x --node " + node.url() + " >&-"}, d / "stderr.log");
  CHECK(p.wait_exit(std::chrono::seconds(60)) == 1);
  const std::string err = p.log();
  CHECK_THAT(err, Catch::Contains("cannot write to standard output: Bad file descriptor"));
  CHECK(node.requests() == 0);
}

TEST_CASE("butter search fails when its hits cannot be flushed to standard output") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  std::string err;
  CHECK(run_butter(d, {"search", "x", "--node", node.url()}, "/dev/full", err) == 1);
  CHECK_THAT(err, Catch::Contains("cannot write to standard output: No space left on device"));
  CHECK(run_butter(d, {"search", "x", "--node", node.url()}, d / "hits.txt", err) == 0);  // the same, written
  CHECK_THAT(read_file(d / "hits.txt"), Catch::StartsWith(o.id + "  ffffffffffffffff  x"));
}
