// SQLite persistence: objects written whole, read back, views updated, removed.
#include "engine.hpp"
#include "persist.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

using namespace butter::pcg;
namespace fs = std::filesystem;

namespace {
struct TempDb {
  fs::path path;
  TempDb() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("pcg-persist-test-" + std::to_string(rd()) + ".sqlite");
  }
  ~TempDb() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix, ec);
  }
};
}  // namespace

TEST_CASE("a persisted object comes back whole with its view and restores into an engine") {
  TempDb tmp;
  std::string why;
  std::vector<std::uint8_t> data(10000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  auto obj = split(data, 4096, {"kw"}, why);
  REQUIRE(obj);
  View v;
  v.version = 4;
  v.add(Member{sha256("me"), {"tcp://127.0.0.1:1"}});
  v.add(Member{sha256("other"), {}});
  {
    Persist db;
    REQUIRE(db.open(tmp.path.string(), why));
    REQUIRE(db.save_object(obj->id, obj->manifest_bytes, obj->blocks, v, why));
    v.version = 5;
    REQUIRE(db.save_view(obj->id, v, why));
  }
  Persist db;
  REQUIRE(db.open(tmp.path.string(), why));
  std::vector<std::string> problems;
  auto all = db.load_all(problems);
  CHECK(problems.empty());
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == obj->id);
  CHECK(all[0].manifest == obj->manifest_bytes);
  CHECK(all[0].blocks == obj->blocks);
  CHECK(all[0].view.version == 5);
  CHECK(all[0].view.same_members(v));
  struct NoEnv : Env {
    std::vector<Candidate> candidates(std::size_t) override { return {}; }
    std::uint64_t random() override { return 1; }
  } env;
  Engine e(sha256("me"), {}, Config{}, 1 << 20, env);
  REQUIRE(e.restore(all[0].id, all[0].manifest, all[0].blocks, all[0].view, 0, why));
  CHECK(e.holds(obj->id));
  REQUIRE(db.remove(obj->id, why));
  CHECK(db.load_all(problems).empty());
}

TEST_CASE("persistence refuses a path it cannot open") {
  Persist db;
  std::string why;
  CHECK_FALSE(db.open("/nonexistent-dir/x/y.sqlite", why));
  CHECK_FALSE(why.empty());
  CHECK_FALSE(db.is_open());
}
