// An object the node cannot find, against the fake node (fake_storage_node.hpp) on loopback: when
// the node's storage says nobody reachable holds it (pcg-storage's 404 "BUTTER_E_NOT_FOUND: ...",
// the end of a locate that took the node seconds), get and cat fail on that one answer; they used
// to ask again with a HEAD, which located the object a second time for the same 404. A plain 404
// (a node without the manifest route) is still followed by the HEAD that tells a missing object
// from one served without a manifest, and a 504 (the node was still locating) is not "not found".
#include "cli_files.hpp"
#include "fake_storage_node.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

// What pcg-storage answers to GET /storage/<id>/manifest for an object it located nowhere.
Script nobody_holds(const Object& o) {
  Script s{o.id, o.manifest, o.data, "", false};
  s.missing_body = "BUTTER_E_NOT_FOUND: no reachable node holds the object\n";
  return s;
}

}  // namespace

TEST_CASE("butter get and cat fail on the storage's not found to the manifest request without asking again") {
  Object o;
  FakeNode node(nobody_holds(o));
  Dir d;
  std::string err;
  const std::string missing(64, 'a');
  const std::string said = "object " + missing + " not found: no node reachable from " + node.url() + " holds it";

  CHECK(run_butter(d, {"get", missing, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains(said));
  CHECK(node.requests() == 1);
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK_FALSE(fs::exists(d / "x.part"));

  CHECK(run_butter(d, {"cat", missing, "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains(said));
  CHECK(node.requests() == 2);

  // Taking the node's word for the bytes does not make them exist: no GET follows either.
  CHECK(run_butter(d, {"get", missing, "-o", d / "x", "--unverified", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains(said));
  CHECK(node.requests() == 3);
  CHECK_FALSE(fs::exists(d / "x.part"));
}

TEST_CASE("butter get still asks whether the object exists when a 404 is not the storage's word") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});  // 404 "not found" for anything else
  Dir d;
  std::string err;
  const std::string missing(64, 'b');
  CHECK(run_butter(d, {"get", missing, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("object " + missing + " not found"));
  CHECK(node.requests() == 2);  // the manifest, then the HEAD
}

TEST_CASE("butter get says an object was not located in time when the node answers 504 and asks nothing more") {
  Object o;
  Script s{o.id, o.manifest, o.data, "", false};
  s.missing_status = 504;
  s.missing_body = "BUTTER_E_TIMEOUT: not located within 10000 ms: the search had not finished\n";
  FakeNode node(s);
  Dir d;
  std::string err;
  const std::string missing(64, 'c');
  CHECK(run_butter(d, {"get", missing, "-o", d / "x", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("object " + missing + " not located in time") &&
                      Catch::Contains("the search had not finished") && Catch::Contains("try again"));
  CHECK_THAT(err, !Catch::Contains("not found"));
  CHECK(node.requests() == 1);
  CHECK_FALSE(fs::exists(d / "x.part"));
}
