// LocateAsks: the LOCATEs one get or streamed read has out (each with its deadline), and the
// holders that answered AGAIN — the asker is over its serve rate there (Engine::on_locate) — and
// are asked again after a back-off, as a member that answers a FETCH with AGAIN is. A busy
// holder does hold the object: without this a get whose candidates were all busy would end "not
// found". The get's or read's own deadline bounds how long this goes on; the holders are the
// candidates asked, at most kMaxLocateAsks (sources.hpp).
#pragma once
#include "hash.hpp"

#include <cstdint>
#include <map>
#include <vector>

namespace butter::pcg {

class LocateAsks {
 public:
  // A LOCATE went to `to`; its answer is awaited until `deadline`.
  void sent(const Hash& to, std::uint64_t deadline) {
    retry_.erase(to);
    asking_[to] = deadline;
  }
  // An answer from `from`: true when it was awaited (it no longer is), false when unasked or late.
  bool answered(const Hash& from) { return asking_.erase(from) != 0; }
  // `from` answered AGAIN: to be asked again at `at`.
  void busy(const Hash& from, std::uint64_t at) { retry_[from] = at; }
  // Forgets the asks past their deadline, and returns the busy holders whose wait is over (no
  // longer waited for: the caller asks them again, with sent()).
  std::vector<Hash> due(std::uint64_t now);
  // An answer is awaited, or a busy holder is to be asked again.
  bool waiting() const { return !asking_.empty() || !retry_.empty(); }

 private:
  std::map<Hash, std::uint64_t> asking_;  // LOCATE sent -> deadline
  std::map<Hash, std::uint64_t> retry_;   // answered AGAIN -> ask again then
};

}  // namespace butter::pcg
