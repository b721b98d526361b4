// Persist: the on-disk copy of the objects this node holds, in SQLite (<data dir>/pcg.sqlite),
// so that a restarted node comes back with its groups.
//
// Why SQLite: one file, transactions (an object's manifest, blocks and view are written in one
// transaction, so a kill -9 leaves either the whole object or none of it), WAL journaling that
// survives a killed process, BLOBs, and it is in Debian (libsqlite3-dev) and already on most
// machines. LMDB would be faster for pure key/value reads, but needs its map size fixed up front
// and gives nothing we need here: reads happen once, at start; the hot copy lives in memory.
//
// Durability: save_object returns OK only once its transaction is committed with
// synchronous=FULL in WAL mode, i.e. the WAL was fsync'ed at that commit. NORMAL would only
// fsync at checkpoints, so a power cut could lose objects already acknowledged to a writer —
// and an acknowledgement here is what the writer, and the leader counting replicas, rely on. The
// price is one fsync per stored object, small next to the network transfer that precedes it.
// The database is opened in EXCLUSIVE locking mode: a node owns its data dir, WAL then keeps its
// index in memory rather than in a -shm file, which is one less file to create on a full disk
// (and a second node started on the same dir by mistake is refused instead of sharing it).
//
// Nothing here deletes what it cannot read. Rows that fail to load are reported and marked in
// the quarantine table (left in place); they are tried again at the next start. A file that is
// not a database at all is renamed aside (<name>.corrupt-<unix time>) and an empty one started.
//
// Schema: objects(id TEXT PRIMARY KEY, manifest BLOB, view BLOB)
//         blocks(id TEXT, idx INTEGER, data BLOB, PRIMARY KEY (id, idx))
//         quarantine(id TEXT PRIMARY KEY, reason TEXT, since INTEGER)   -- unix seconds
// The view is stored as an encoded VIEW message (messages.hpp).
#pragma once
#include "view.hpp"

#include <butter/status.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

struct sqlite3;

namespace butter::pcg {

class Persist {
 public:
  Persist() = default;
  ~Persist();
  Persist(const Persist&) = delete;
  Persist& operator=(const Persist&) = delete;

  // Opens (creates) the database. When the file exists but is not a readable database
  // (SQLITE_NOTADB, SQLITE_CORRUPT at open), it is renamed aside, `renamed_to` says where, and an
  // empty database is started. False with `why` for other failures (permissions, I/O, locked).
  bool open(const std::string& path, std::string& why, std::string* renamed_to = nullptr);
  bool is_open() const { return db_ != nullptr; }
  void close();

  struct Stored {
    Hash id{};
    std::vector<std::uint8_t> manifest;
    std::vector<std::vector<std::uint8_t>> blocks;
    View view;
  };
  struct Unreadable {
    std::string id;  // as stored (hex text; may itself be damaged)
    std::string reason;
  };
  // Every stored object that can be read back (not yet verified: Engine::restore does that),
  // handed to `each` one at a time, as soon as it is read: a start holds the objects restored so
  // far and one more, not every object twice (all loaded, then each copied into the engine). Ids
  // are gathered from every index that still answers, and each object is read on its own, so a
  // damaged page costs the objects on it, not the rest. What cannot be read goes to `bad`.
  void load_each(std::vector<Unreadable>& bad, const std::function<void(Stored&)>& each);
  // load_each into one vector (tests).
  std::vector<Stored> load_all(std::vector<Unreadable>& bad);

  // Writes an object whole, in one durable transaction (see above). BUTTER_E_NOMEM when the
  // disk is full (SQLITE_FULL), BUTTER_E_INTERNAL for other write failures; `why` says which.
  // A quarantine mark on the same id is cleared: a verified copy replaces the damaged one.
  butter_status save_object(const Hash& id, const std::vector<std::uint8_t>& manifest,
                            const std::vector<std::vector<std::uint8_t>>& blocks, const View& view, std::string& why);
  bool save_view(const Hash& id, const View& view, std::string& why);
  // The object's rows go (this node left its group). Never called for unreadable rows.
  bool remove(const Hash& id, std::string& why);

  // Marks `id` as quarantined with `reason` (the rows stay). False with `why` when the mark
  // cannot be written (a full disk, a damaged file): the rows are still left alone.
  bool quarantine(const std::string& id, const std::string& reason, std::string& why);
  // Ids currently marked, with their reasons.
  std::vector<Unreadable> quarantined();
  // Rows of `id` in the objects and blocks tables (tests: nothing was deleted).
  std::size_t rows_of(const std::string& id);

 private:
  bool setup(std::string& why);
  bool exec(const char* sql, std::string& why);
  int errcode() const;
  sqlite3* db_ = nullptr;
};

}  // namespace butter::pcg
