// Persist: the on-disk copy of the objects this node holds, in SQLite (<data dir>/pcg.sqlite),
// so that a restarted node comes back with its groups.
//
// Why SQLite: one file, transactions (an object's manifest, blocks and view are written in one
// transaction, so a kill -9 leaves either the whole object or none of it), WAL journaling that
// survives a killed process, BLOBs, and it is in Debian (libsqlite3-dev) and already on most
// machines. LMDB would be faster for pure key/value reads, but needs its map size fixed up front
// and gives nothing we need here: reads happen once, at start; the hot copy lives in memory.
//
// Schema: objects(id TEXT PRIMARY KEY, manifest BLOB, view BLOB)
//         blocks(id TEXT, idx INTEGER, data BLOB, PRIMARY KEY (id, idx))
// The view is stored as an encoded VIEW message (messages.hpp).
#pragma once
#include "view.hpp"

#include <cstdint>
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

  bool open(const std::string& path, std::string& why);
  bool is_open() const { return db_ != nullptr; }
  void close();

  struct Stored {
    Hash id{};
    std::vector<std::uint8_t> manifest;
    std::vector<std::vector<std::uint8_t>> blocks;
    View view;
  };
  // Every stored object (what a restarted node gets back). Rows that cannot be read are skipped
  // and reported in `problems`.
  std::vector<Stored> load_all(std::vector<std::string>& problems);
  bool save_object(const Hash& id, const std::vector<std::uint8_t>& manifest,
                   const std::vector<std::vector<std::uint8_t>>& blocks, const View& view, std::string& why);
  bool save_view(const Hash& id, const View& view, std::string& why);
  bool remove(const Hash& id, std::string& why);

 private:
  bool exec(const char* sql, std::string& why);
  sqlite3* db_ = nullptr;
};

}  // namespace butter::pcg
