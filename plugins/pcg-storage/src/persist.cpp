// SQLite persistence of held objects (see persist.hpp).
#include "persist.hpp"

#include "messages.hpp"

#include <sqlite3.h>

#include <memory>

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

}  // namespace

Persist::~Persist() { close(); }

void Persist::close() {
  if (db_) sqlite3_close(db_);
  db_ = nullptr;
}

bool Persist::exec(const char* sql, std::string& why) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    why = err ? err : "sqlite error";
    sqlite3_free(err);
    return false;
  }
  return true;
}

bool Persist::open(const std::string& path, std::string& why) {
  close();
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    why = db_ ? sqlite3_errmsg(db_) : "cannot open " + path;
    close();
    return false;
  }
  sqlite3_busy_timeout(db_, 2000);
  if (!exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            "CREATE TABLE IF NOT EXISTS objects(id TEXT PRIMARY KEY, manifest BLOB NOT NULL, view BLOB NOT NULL);"
            "CREATE TABLE IF NOT EXISTS blocks(id TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL,"
            " PRIMARY KEY(id, idx));",
            why)) {
    close();
    return false;
  }
  return true;
}

std::vector<Persist::Stored> Persist::load_all(std::vector<std::string>& problems) {
  std::vector<Stored> out;
  if (!db_) return out;
  std::string why;
  Stmt objs, blks;
  if (!prepare(db_, "SELECT id, manifest, view FROM objects ORDER BY id", objs, why) ||
      !prepare(db_, "SELECT idx, data FROM blocks WHERE id = ?1 ORDER BY idx", blks, why)) {
    problems.push_back(why);
    return out;
  }
  while (sqlite3_step(objs.s) == SQLITE_ROW) {
    Stored s;
    const char* id = reinterpret_cast<const char*>(sqlite3_column_text(objs.s, 0));
    std::string id_hex = id ? id : "";
    if (!from_hex(id_hex, s.id)) {
      problems.push_back("bad object id row '" + id_hex + "'");
      continue;
    }
    auto blob = [](sqlite3_stmt* st, int col) {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, col));
      const int n = sqlite3_column_bytes(st, col);
      return p && n > 0 ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
    };
    s.manifest = blob(objs.s, 1);
    auto view_bytes = blob(objs.s, 2);
    auto vm = decode(view_bytes, why);
    if (!vm || vm->type != MsgType::ViewUpdate || vm->object != s.id) {
      problems.push_back(id_hex.substr(0, 8) + ": unreadable view");
      continue;
    }
    s.view = std::move(vm->view);
    sqlite3_reset(blks.s);
    sqlite3_bind_text(blks.s, 1, id_hex.c_str(), -1, SQLITE_TRANSIENT);
    bool in_order = true;
    while (sqlite3_step(blks.s) == SQLITE_ROW) {
      if (sqlite3_column_int64(blks.s, 0) != static_cast<sqlite3_int64>(s.blocks.size())) in_order = false;
      s.blocks.push_back(blob(blks.s, 1));
    }
    if (!in_order) {
      problems.push_back(id_hex.substr(0, 8) + ": blocks missing");
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool Persist::save_object(const Hash& id, const std::vector<std::uint8_t>& manifest,
                          const std::vector<std::vector<std::uint8_t>>& blocks, const View& view, std::string& why) {
  if (!db_) return true;
  const std::string hex = to_hex(id);
  if (!exec("BEGIN IMMEDIATE", why)) return false;
  auto fail = [&] {
    std::string ignored;
    exec("ROLLBACK", ignored);
    return false;
  };
  {
    Stmt del, obj, blk;
    if (!prepare(db_, "DELETE FROM blocks WHERE id = ?1", del, why) ||
        !prepare(db_, "INSERT OR REPLACE INTO objects(id, manifest, view) VALUES(?1, ?2, ?3)", obj, why) ||
        !prepare(db_, "INSERT INTO blocks(id, idx, data) VALUES(?1, ?2, ?3)", blk, why))
      return fail();
    sqlite3_bind_text(del.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(del.s) != SQLITE_DONE) {
      why = sqlite3_errmsg(db_);
      return fail();
    }
    const auto vb = encode_view(id, view);
    sqlite3_bind_text(obj.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(obj.s, 2, manifest.data(), static_cast<int>(manifest.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(obj.s, 3, vb.data(), static_cast<int>(vb.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(obj.s) != SQLITE_DONE) {
      why = sqlite3_errmsg(db_);
      return fail();
    }
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      sqlite3_reset(blk.s);
      sqlite3_bind_text(blk.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(blk.s, 2, static_cast<sqlite3_int64>(i));
      // zeroblob-free: an empty block cannot occur (blocks are 1..block_size bytes).
      sqlite3_bind_blob(blk.s, 3, blocks[i].data(), static_cast<int>(blocks[i].size()), SQLITE_TRANSIENT);
      if (sqlite3_step(blk.s) != SQLITE_DONE) {
        why = sqlite3_errmsg(db_);
        return fail();
      }
    }
  }
  return exec("COMMIT", why) || fail();
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
  if (!prepare(db_, "DELETE FROM blocks WHERE id = ?1", a, why) || !prepare(db_, "DELETE FROM objects WHERE id = ?1", b, why))
    return false;
  sqlite3_bind_text(a.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(b.s, 1, hex.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(a.s) != SQLITE_DONE || sqlite3_step(b.s) != SQLITE_DONE) {
    why = sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

}  // namespace butter::pcg
