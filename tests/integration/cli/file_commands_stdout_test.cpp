// butter cat's standard output, against the fake node (fake_storage_node.hpp) on loopback: a
// closed one is refused before anything is fetched, with the real reason (EBADF), and a write that
// fails only when the last bytes are flushed (a full device) still fails the command.
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
