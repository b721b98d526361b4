// SQLite persistence of held objects (see persist.hpp).
#include "persist.hpp"

#include "messages.hpp"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <set>

namespace butter::pcg {

namespace {

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

std::vector<std::uint8_t> encode_view(const Hash& id, const View& v) {
  Message m;
  m.type = MsgType::ViewUpdate;
  m.object = id;
  m.view = v;
  return encode(m);
}

bool prepare(sqlite3* db, const char* sql, Stmt& st, std::string& why) {
  if (sqlite3_prepare_v2(db, sql, -1, &st.s, nullptr) != SQLITE_OK) {
    why = sqlite3_errmsg(db);
    return false;
  }
  return true;
}

std::vector<std::uint8_t> blob(sqlite3_stmt* st, int col) {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, col));
  const int n = sqlite3_column_bytes(st, col);
  return p && n > 0 ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
}

std::string text(sqlite3_stmt* st, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, col))) : std::string();
}

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Persist::~Persist() { close(); }

void Persist::close() {
  if (db_) sqlite3_close(db_);
  db_ = nullptr;
}

int Persist::errcode() const { return db_ ? (sqlite3_extended_errcode(db_) & 0xff) : SQLITE_CANTOPEN; }

bool Persist::exec(const char* sql, std::string& why) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    why = err ? err : "sqlite error";
    sqlite3_free(err);
    return false;
  }
  return true;
}

bool Persist::setup(std::string& why) {
  // locking_mode first: WAL then keeps its index in heap memory (no -shm file). The last
  // statement reads the schema, so a damaged first page shows up here, not at the first put.
  return exec(
      "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
      "CREATE TABLE IF NOT EXISTS objects(id TEXT PRIMARY KEY, manifest BLOB NOT NULL, view BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS blocks(id TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL,"
      " PRIMARY KEY(id, idx));"
      "CREATE TABLE IF NOT EXISTS quarantine(id TEXT PRIMARY KEY, reason TEXT NOT NULL, since INTEGER NOT NULL);"
      "SELECT count(*) FROM sqlite_master;",
      why);
}

bool Persist::open(const std::string& path, std::string& why, std::string* renamed_to) {
  close();
  auto attempt = [&] {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      why = db_ ? sqlite3_errmsg(db_) : "cannot open " + path;
      return false;
    }
    sqlite3_busy_timeout(db_, 2000);
    return setup(why);
  };
  if (attempt()) return true;
  const int code = errcode();
  close();
  if (code != SQLITE_NOTADB && code != SQLITE_CORRUPT) return false;
  // Not a database (or its first pages are damaged): keep the file for whoever wants to look at
  // it, and start empty rather than refuse to run. The WAL goes with it (it belongs to that file).
  namespace fs = std::filesystem;
  const std::string aside = path + ".corrupt-" + std::to_string(unix_seconds());
  std::error_code ec;
  fs::rename(path, aside, ec);
  if (ec) {
    why += "; and it cannot be renamed aside: " + ec.message();
    return false;
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    std::error_code ignored;
    if (fs::exists(path + suffix, ignored)) fs::rename(path + suffix, aside + suffix, ignored);
  }
  if (renamed_to) *renamed_to = aside;
  const std::string first = why;
  if (attempt()) return true;
  why = first + "; then a fresh database: " + why;
  close();
  return false;
}

std::vector<Persist::Stored> Persist::load_all(std::vector<Unreadable>& bad) {
  std::vector<Stored> out;
  load_each(bad, [&](Stored& s) { out.push_back(std::move(s)); });
  return out;
}

void Persist::load_each(std::vector<Unreadable>& bad, const std::function<void(Stored&)>& each) {
  if (!db_) return;
  // Ids from every path that still answers: the objects table's key index (both directions, so
  // a damaged page stops one scan part way, not both), the table itself, and the blocks' index
  // (an object whose row is lost but whose blocks remain is reported, not forgotten).
  std::set<std::string> ids;
  for (const char* sql : {"SELECT id FROM objects ORDER BY id", "SELECT id FROM objects ORDER BY id DESC",
                          "SELECT id FROM objects NOT INDEXED", "SELECT DISTINCT id FROM blocks ORDER BY id",
                          "SELECT DISTINCT id FROM blocks ORDER BY id DESC"}) {
    Stmt st;
    std::string why;
    if (!prepare(db_, sql, st, why)) {
      bad.push_back({"*", std::string("cannot list stored objects: ") + why});
      continue;
    }
    int rc;
    while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) ids.insert(text(st.s, 0));
    (void)rc;  // a scan cut short is fine: the other scans and the per-object reads report it
  }
  Stmt obj, blks;
  std::string why;
  if (!prepare(db_, "SELECT manifest, view FROM objects WHERE id = ?1", obj, why) ||
      !prepare(db_, "SELECT idx, data FROM blocks WHERE id = ?1 ORDER BY idx", blks, why)) {
    for (const auto& id : ids) bad.push_back({id, "cannot read: " + why});
    return;
  }
  for (const auto& id_hex : ids) {
    Stored s;
    if (!from_hex(id_hex, s.id)) {
      bad.push_back({id_hex, "object id is not 64 hex digits"});
      continue;
    }
    sqlite3_reset(obj.s);
    sqlite3_bind_text(obj.s, 1, id_hex.c_str(), -1, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(obj.s);
    if (rc != SQLITE_ROW) {
      bad.push_back(
          {id_hex, rc == SQLITE_DONE ? "manifest row missing" : std::string("manifest row: ") + sqlite3_errmsg(db_)});
      continue;
    }
    s.manifest = blob(obj.s, 0);
    auto vm = decode(blob(obj.s, 1), why);
    if (!vm || vm->type != MsgType::ViewUpdate || vm->object != s.id) {
      bad.push_back({id_hex, "unreadable view"});
      continue;
    }
    s.view = std::move(vm->view);
    sqlite3_reset(blks.s);
    sqlite3_bind_text(blks.s, 1, id_hex.c_str(), -1, SQLITE_TRANSIENT);
    bool in_order = true;
    int brc;
    while ((brc = sqlite3_step(blks.s)) == SQLITE_ROW) {
      if (sqlite3_column_int64(blks.s, 0) != static_cast<sqlite3_int64>(s.blocks.size())) in_order = false;
      s.blocks.push_back(blob(blks.s, 1));
    }
    if (brc != SQLITE_DONE) {
      bad.push_back({id_hex, std::string("blocks: ") + sqlite3_errmsg(db_)});
      continue;
    }
    if (!in_order) {
      bad.push_back({id_hex, "blocks missing"});
      continue;
    }
    each(s);
  }
}

butter_status Persist::save_object(const Hash& id, const std::vector<std::uint8_t>& manifest,
                                   const std::vector<std::vector<std::uint8_t>>& blocks, const View& view,
                                   std::string& why) {
  if (!db_) return BUTTER_OK;
  const std::string hex = to_hex(id);
  auto fail = [&] {
    const butter_status st = errcode() == SQLITE_FULL ? BUTTER_E_NOMEM : BUTTER_E_INTERNAL;
    why = (st == BUTTER_E_NOMEM ? "disk full: " : "disk write failed: ") + why;
    std::string ignored;
    if (!sqlite3_get_autocommit(db_)) exec("ROLLBACK", ignored);
    return st;
  };
  if (!exec("BEGIN IMMEDIATE", why)) return fail();
  {
    Stmt del, obj, blk, unq;
    if (!prepare(db_, "DELETE FROM blocks WHERE id = ?1", del, why) ||
        !prepare(db_, "INSERT OR REPLACE INTO objects(id, manifest, view) VALUES(?1, ?2, ?3)", obj, why) ||
        !prepare(db_, "INSERT INTO blocks(id, idx, data) VALUES(?1, ?2, ?3)", blk, why) ||
        !prepare(db_, "DELETE FROM quarantine WHERE id = ?1", unq, why))
      return fail();
    auto step = [&](sqlite3_stmt* s) {
      if (sqlite3_step(s) == SQLITE_DONE) return true;
      why = sqlite3_errmsg(db_);
      return false;
    };
    sqlite3_bind_text(del.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(unq.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
    if (!step(del.s) || !step(unq.s)) return fail();
    const auto vb = encode_view(id, view);
    sqlite3_bind_text(obj.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(obj.s, 2, manifest.data(), static_cast<int>(manifest.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(obj.s, 3, vb.data(), static_cast<int>(vb.size()), SQLITE_TRANSIENT);
    if (!step(obj.s)) return fail();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      sqlite3_reset(blk.s);
      sqlite3_bind_text(blk.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(blk.s, 2, static_cast<sqlite3_int64>(i));
      // An empty block cannot occur (blocks are 1..block_size bytes).
      sqlite3_bind_blob(blk.s, 3, blocks[i].data(), static_cast<int>(blocks[i].size()), SQLITE_TRANSIENT);
      if (!step(blk.s)) return fail();
    }
  }
  if (!exec("COMMIT", why)) return fail();
  return BUTTER_OK;
}

bool Persist::save_view(const Hash& id, const View& view, std::string& why) {
  if (!db_) return true;
  Stmt st;
  if (!prepare(db_, "UPDATE objects SET view = ?2 WHERE id = ?1", st, why)) return false;
  const std::string hex = to_hex(id);
  const auto vb = encode_view(id, view);
  sqlite3_bind_text(st.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(st.s, 2, vb.data(), static_cast<int>(vb.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) {
    why = sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

bool Persist::remove(const Hash& id, std::string& why) {
  if (!db_) return true;
  const std::string hex = to_hex(id);
  Stmt a, b;
  if (!prepare(db_, "DELETE FROM blocks WHERE id = ?1", a, why) ||
      !prepare(db_, "DELETE FROM objects WHERE id = ?1", b, why))
    return false;
  sqlite3_bind_text(a.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(b.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(a.s) != SQLITE_DONE || sqlite3_step(b.s) != SQLITE_DONE) {
    why = sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

bool Persist::quarantine(const std::string& id, const std::string& reason, std::string& why) {
  if (!db_) return true;
  Stmt st;
  if (!prepare(db_,
               "INSERT INTO quarantine(id, reason, since) VALUES(?1, ?2, ?3)"
               " ON CONFLICT(id) DO UPDATE SET reason = excluded.reason",
               st, why))
    return false;
  sqlite3_bind_text(st.s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, reason.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 3, unix_seconds());
  if (sqlite3_step(st.s) != SQLITE_DONE) {
    why = sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

std::vector<Persist::Unreadable> Persist::quarantined() {
  std::vector<Unreadable> out;
  Stmt st;
  std::string why;
  if (!db_ || !prepare(db_, "SELECT id, reason FROM quarantine ORDER BY id", st, why)) return out;
  while (sqlite3_step(st.s) == SQLITE_ROW) out.push_back({text(st.s, 0), text(st.s, 1)});
  return out;
}

std::size_t Persist::rows_of(const std::string& id) {
  std::size_t n = 0;
  std::string why;
  for (const char* sql : {"SELECT count(*) FROM objects WHERE id = ?1", "SELECT count(*) FROM blocks WHERE id = ?1"}) {
    Stmt st;
    if (!db_ || !prepare(db_, sql, st, why)) continue;
    sqlite3_bind_text(st.s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st.s) == SQLITE_ROW) n += static_cast<std::size_t>(sqlite3_column_int64(st.s, 0));
  }
  return n;
}

}  // namespace butter::pcg
