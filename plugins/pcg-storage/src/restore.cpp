// Loading the persisted copy at start, with quarantine instead of deletion (see restore.hpp).
#include "restore.hpp"

namespace butter::pcg {

RestoreReport restore_all(Persist& db, Engine& engine, std::uint64_t now) {
  RestoreReport r;
  if (!db.is_open()) return r;
  db.load_each(r.quarantined, [&](Persist::Stored& s) {
    std::string why;
    if (engine.restore(s.id, s.manifest, std::move(s.blocks), s.view, now, why)) {
      ++r.restored;
      r.restored_ids.push_back(s.id);
    } else {
      r.quarantined.push_back({to_hex(s.id), why});
    }
  });
  for (const auto& q : r.quarantined) {
    if (q.id == "*") continue;  // a failed listing, not a row
    std::string why;
    // A mark that cannot be written (full disk, damaged index) changes nothing: the rows stay,
    // and the next start tries them again.
    if (!db.quarantine(q.id, q.reason, why)) ++r.marks_failed;
  }
  const Budget& b = engine.budget();
  r.over_capacity_bytes = b.used() > b.capacity() ? b.used() - b.capacity() : 0;
  return r;
}

}  // namespace butter::pcg
