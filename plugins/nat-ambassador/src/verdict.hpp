// Verdict: public or private, from dial-back results of distinct peers, with hysteresis.
//
// Undecided, the first side that `quorum` distinct peers agree on wins. Decided, the verdict only
// flips when `quorum` distinct peers in a row disagree with it; any agreeing result resets that
// streak. So a single failed (or lying) dial-back never flips it. Unit-tested.
#pragma once
#include "messages.hpp"

#include <set>
#include <string>

namespace butter::nat {

class Verdict {
 public:
  explicit Verdict(unsigned quorum = 2) : quorum_(quorum == 0 ? 1 : quorum) {}

  // One dial-back result from `peer`. Returns true when the verdict changed.
  bool observe(const std::string& peer, bool reached);
  // Sets the verdict outright (config "mode", or a node with nothing to dial back).
  bool force(Reach r);

  Reach state() const { return state_; }
  unsigned quorum() const { return quorum_; }
  std::size_t streak() const { return streak_.size(); }

 private:
  bool set(Reach r);
  unsigned quorum_;
  Reach state_ = Reach::Unknown;
  std::set<std::string> yes_, no_;  // while undecided
  std::set<std::string> streak_;    // distinct peers disagreeing in a row, once decided
};

}  // namespace butter::nat
