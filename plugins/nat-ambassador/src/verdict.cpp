// Verdict: quorum of distinct peers to decide, a streak of distinct dissenters to flip.
#include "verdict.hpp"

namespace butter::nat {

bool Verdict::set(Reach r) {
  yes_.clear();
  no_.clear();
  streak_.clear();
  if (state_ == r) return false;
  state_ = r;
  return true;
}

bool Verdict::force(Reach r) { return set(r); }

bool Verdict::observe(const std::string& peer, bool reached) {
  const Reach said = reached ? Reach::Public : Reach::Private;
  if (state_ == Reach::Unknown) {
    (reached ? no_ : yes_).erase(peer);
    (reached ? yes_ : no_).insert(peer);
    if (yes_.size() >= quorum_) return set(Reach::Public);
    if (no_.size() >= quorum_) return set(Reach::Private);
    return false;
  }
  if (said == state_) {
    streak_.clear();
    return false;
  }
  streak_.insert(peer);
  if (streak_.size() >= quorum_) return set(said);
  return false;
}

}  // namespace butter::nat
