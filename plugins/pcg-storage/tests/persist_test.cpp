// SQLite persistence: objects written whole, read back, views updated, removed; and what a
// restart does with rows it cannot load (a blob changed, a page of the file overwritten, a file
// that is not a database, less capacity than data): quarantined or loaded, never deleted.
#include "engine.hpp"
#include "persist.hpp"
#include "restore.hpp"

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using namespace butter::pcg;
namespace fs = std::filesystem;

namespace {

// A scratch directory for one database, removed with everything in it (renamed-aside files too).
struct TempDb {
  fs::path dir, path;
  TempDb() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("pcg-persist-test-" + std::to_string(rd()));
    fs::create_directories(dir);
    path = dir / "pcg.sqlite";
  }
  ~TempDb() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

struct NoEnv : Env {
  std::vector<Candidate> candidates(std::size_t) override { return {}; }
  std::uint64_t random() override { return 1; }
};

View one_member_view() {
  View v;
  v.version = 1;
  v.add(Member{sha256("me"), {}});
  return v;
}

// Object `i` of `size` bytes, all of one byte value (so its blocks are easy to find in the file).
std::optional<SplitObject> object(unsigned i, std::size_t size, std::uint8_t fill) {
  std::string why;
  std::vector<std::uint8_t> data(size, fill);
  data[0] = static_cast<std::uint8_t>(i);
  return split(data, 4096, {"o" + std::to_string(i)}, why);
}

// Saves objects 0..n-1 (8 KiB each, byte value 0x10 + i) and closes the database.
std::vector<SplitObject> save_objects(const fs::path& path, unsigned n) {
  std::vector<SplitObject> out;
  Persist db;
  std::string why;
  REQUIRE(db.open(path.string(), why));
  for (unsigned i = 0; i < n; ++i) {
    auto o = object(i, 8192, static_cast<std::uint8_t>(0x10 + i));
    REQUIRE(o);
    REQUIRE(db.save_object(o->id, o->manifest_bytes, o->blocks, one_member_view(), why) == BUTTER_OK);
    out.push_back(std::move(*o));
  }
  return out;
}

// Runs SQL on the closed database with a plain connection (the damage a test inflicts).
void raw_sql(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

bool contains(const std::vector<Hash>& v, const Hash& h) { return std::find(v.begin(), v.end(), h) != v.end(); }

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
    REQUIRE(db.save_object(obj->id, obj->manifest_bytes, obj->blocks, v, why) == BUTTER_OK);
    v.version = 5;
    REQUIRE(db.save_view(obj->id, v, why));
  }
  Persist db;
  REQUIRE(db.open(tmp.path.string(), why));
  std::vector<Persist::Unreadable> problems;
  auto all = db.load_all(problems);
  CHECK(problems.empty());
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == obj->id);
  CHECK(all[0].manifest == obj->manifest_bytes);
  CHECK(all[0].blocks == obj->blocks);
  CHECK(all[0].view.version == 5);
  CHECK(all[0].view.same_members(v));
  NoEnv env;
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

TEST_CASE("a row whose blob no longer matches its hash is quarantined at restart and stays on disk") {
  TempDb tmp;
  auto objs = save_objects(tmp.path, 4);
  const std::string bad = to_hex(objs[2].id);
  raw_sql(tmp.path, "UPDATE blocks SET data = zeroblob(4096) WHERE id = '" + bad + "' AND idx = 1");

  Persist db;
  std::string why;
  REQUIRE(db.open(tmp.path.string(), why));
  NoEnv env;
  Engine e(sha256("me"), {}, Config{}, 1 << 20, env);
  const RestoreReport r = restore_all(db, e, 0);
  CHECK(r.restored == 3);
  REQUIRE(r.quarantined.size() == 1);
  CHECK(r.quarantined[0].id == bad);
  CHECK(r.quarantined[0].reason.find("does not match its hash") != std::string::npos);
  for (std::size_t i = 0; i < objs.size(); ++i) CHECK(e.holds(objs[i].id) == (i != 2));
  // Left in place (manifest row + 2 blocks) and marked.
  CHECK(db.rows_of(bad) == 3);
  auto marks = db.quarantined();
  REQUIRE(marks.size() == 1);
  CHECK(marks[0].id == bad);
  // A verified copy of the same object, stored again, replaces the damaged one and clears the mark.
  REQUIRE(db.save_object(objs[2].id, objs[2].manifest_bytes, objs[2].blocks, one_member_view(), why) == BUTTER_OK);
  CHECK(db.quarantined().empty());
  Engine again(sha256("me"), {}, Config{}, 1 << 20, env);
  CHECK(restore_all(db, again, 0).restored == 4);
}

TEST_CASE("garbage written over a data page of the file costs only the objects on it which are quarantined and kept") {
  TempDb tmp;
  auto objs = save_objects(tmp.path, 6);
  REQUIRE_FALSE(fs::exists(tmp.path.string() + "-wal"));  // checkpointed into the file at close
  // Find a page (4096 bytes, SQLite's default) that is a run of object 3's fill byte: one of its
  // blocks' overflow pages. Overwrite it whole with random garbage, next-page pointer included.
  std::string file;
  {
    std::ifstream in(tmp.path, std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string run(512, static_cast<char>(0x13));
  std::size_t page = std::string::npos;
  for (std::size_t off = 4096; off + 4096 <= file.size() && page == std::string::npos; off += 4096)
    if (file.compare(off + 1024, run.size(), run) == 0) page = off;
  REQUIRE(page != std::string::npos);
  {
    std::mt19937 rng(99);
    std::string garbage(4096, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng());
    std::fstream f(tmp.path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(page));
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  const auto size_before = fs::file_size(tmp.path);

  Persist db;
  std::string why;
  REQUIRE(db.open(tmp.path.string(), why));
  NoEnv env;
  Engine e(sha256("me"), {}, Config{}, 1 << 20, env);
  const RestoreReport r = restore_all(db, e, 0);
  INFO((r.quarantined.empty() ? std::string() : r.quarantined[0].reason));
  CHECK(r.restored == 5);
  REQUIRE(r.quarantined.size() == 1);
  CHECK(r.quarantined[0].id == to_hex(objs[3].id));
  for (std::size_t i = 0; i < objs.size(); ++i) CHECK(contains(r.restored_ids, objs[i].id) == (i != 3));
  CHECK(db.rows_of(to_hex(objs[3].id)) == 3);  // its rows are still there
  db.close();
  CHECK(fs::file_size(tmp.path) >= size_before);  // nothing was vacuumed away
}

TEST_CASE("a file that is not a database is renamed aside and an empty database started") {
  TempDb tmp;
  save_objects(tmp.path, 2);
  {
    std::fstream f(tmp.path, std::ios::binary | std::ios::in | std::ios::out);
    const std::string junk(100, 'J');  // over the 100-byte header: "not a database"
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const auto size = fs::file_size(tmp.path);
  Persist db;
  std::string why, renamed;
  REQUIRE(db.open(tmp.path.string(), why, &renamed));
  CHECK_FALSE(renamed.empty());
  CHECK(renamed.find("pcg.sqlite.corrupt-") != std::string::npos);
  REQUIRE(fs::exists(renamed));
  CHECK(fs::file_size(renamed) == size);  // the old file whole, for whoever wants to recover it
  std::vector<Persist::Unreadable> problems;
  CHECK(db.load_all(problems).empty());
  CHECK(problems.empty());
  auto o = object(9, 5000, 0x55);
  REQUIRE(o);
  CHECK(db.save_object(o->id, o->manifest_bytes, o->blocks, one_member_view(), why) == BUTTER_OK);
}

TEST_CASE("capacity below the data on disk keeps everything loaded and on disk and refuses new data") {
  TempDb tmp;
  auto objs = save_objects(tmp.path, 5);  // 5 x (8192 + manifest) bytes
  Persist db;
  std::string why;
  REQUIRE(db.open(tmp.path.string(), why));
  NoEnv env;
  Config cfg;
  cfg.block_size = 4096;
  Engine e(sha256("me"), {}, cfg, 20000, env);  // room for two of the five
  const RestoreReport r = restore_all(db, e, 0);
  CHECK(r.restored == 5);
  CHECK(r.quarantined.empty());
  CHECK(r.over_capacity_bytes > 0);
  CHECK(e.budget().over_capacity());
  CHECK(e.budget().free() == 0);
  for (const auto& o : objs) {
    CHECK(e.holds(o.id));
    CHECK(db.rows_of(to_hex(o.id)) == 3);
  }
  // New data is refused (507 over HTTP) while usage is above capacity.
  Output out;
  Hash id{};
  CHECK(e.put(1, std::vector<std::uint8_t>(100, 1), {}, 0, id, why, out) == BUTTER_E_NOMEM);
  CHECK(why.find("storage budget exceeded") != std::string::npos);
}
