// Restore: what a starting node does with its SQLite copy. Every row that can be read and
// verified (manifest against its id, every block against its hash) goes back into the engine
// with its group view; every row that cannot is quarantined (marked, reported, left on disk),
// never deleted: a damaged copy may still be worth something to an operator, and deleting what a
// node once acknowledged is exactly the loss persistence is there to prevent. Data beyond the
// storage budget is loaded all the same (Engine::restore charges it); the budget then refuses new
// data until usage falls under it.
#pragma once
#include "engine.hpp"
#include "persist.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace butter::pcg {

struct RestoreReport {
  std::size_t restored = 0;
  std::vector<Hash> restored_ids;
  std::vector<Persist::Unreadable> quarantined;  // id (as stored) and why
  std::size_t marks_failed = 0;                  // quarantine marks that could not be written
  std::uint64_t over_capacity_bytes = 0;         // used beyond the budget's capacity after loading
};

RestoreReport restore_all(Persist& db, Engine& engine, std::uint64_t now);

}  // namespace butter::pcg
