// The per-group table of the other members' proof states (see possession_state.hpp).
#include "possession_state.hpp"

namespace butter::pcg {

const MemberProof* Possession::find(const Hash& m) const {
  auto it = members_.find(m);
  return it == members_.end() ? nullptr : &it->second;
}

bool Possession::test(const Hash& m, bool MemberProof::*flag) const {
  const MemberProof* e = find(m);
  return e && e->*flag;
}

const PendingChallenge* Possession::pending(const Hash& m) const {
  const MemberProof* e = find(m);
  return e && e->pending ? &*e->pending : nullptr;
}

bool Possession::cooling(const Hash& m, std::uint64_t now) const {
  const MemberProof* e = find(m);
  return e && e->not_before && now < *e->not_before;
}

std::optional<std::uint64_t> Possession::next_audit(const Hash& m) const {
  const MemberProof* e = find(m);
  return e ? e->next_audit : std::nullopt;
}

bool Possession::proving() const {
  for (const auto& [m, e] : members_)
    if (e.pending) return true;
  return false;
}

std::vector<Hash> Possession::claimants() const {
  std::vector<Hash> out;
  for (const auto& [m, e] : members_)
    if (e.claimed) out.push_back(m);
  return out;
}

std::vector<std::pair<Hash, std::uint32_t>> Possession::expired(std::uint64_t now) const {
  std::vector<std::pair<Hash, std::uint32_t>> out;
  for (const auto& [m, e] : members_)
    if (e.pending && now >= e.pending->deadline) out.emplace_back(m, e.pending->attempt);
  return out;
}

void Possession::claim(const Hash& m) { members_[m].claimed = true; }

void Possession::disclaim(const Hash& m) {
  auto it = members_.find(m);
  if (it == members_.end()) return;
  it->second.claimed = false;
  it->second.pending.reset();
  it->second.next_audit.reset();
  erase_if_empty(it);
}

void Possession::start_challenge(const Hash& m, const PendingChallenge& pc) { members_[m].pending = pc; }

void Possession::drop_challenge(const Hash& m) {
  auto it = members_.find(m);
  if (it == members_.end()) return;
  it->second.pending.reset();
  erase_if_empty(it);
}

void Possession::mark_proven(const Hash& m, std::uint64_t next_audit) {
  MemberProof& e = members_[m];
  e.pending.reset();
  e.claimed = false;
  e.not_before.reset();
  e.failed = false;
  e.next_audit = next_audit;
}

void Possession::mark_failed(const Hash& m, std::uint64_t not_before, bool suspect) {
  MemberProof& e = members_[m];
  e.claimed = false;
  e.pending.reset();
  e.next_audit.reset();
  e.not_before = not_before;
  if (suspect) e.failed = true;  // a failure from before stands until a proof clears it
}

void Possession::schedule_audit(const Hash& m, std::uint64_t at) { members_[m].next_audit = at; }

void Possession::delay_challenges(std::uint64_t ms) {
  for (auto& [m, e] : members_)
    if (e.pending) e.pending->deadline += ms;
}

void Possession::prune_to_view(const View& view, const Hash& self, const std::function<bool(const Hash&)>& proven,
                               std::uint64_t now) {
  for (auto it = members_.begin(); it != members_.end();) {
    const Hash& m = it->first;
    if (m == self || !view.contains(m)) {
      it = members_.erase(it);
      continue;
    }
    MemberProof& e = it->second;
    if (e.next_audit && !proven(m)) e.next_audit.reset();
    if (e.not_before && now >= *e.not_before) e.not_before.reset();
    auto next = std::next(it);
    erase_if_empty(it);
    it = next;
  }
  for (auto it = retiring_holders_.begin(); it != retiring_holders_.end();)
    it = now < it->second && !view.contains(it->first) ? std::next(it) : retiring_holders_.erase(it);
}

bool Possession::note_retiring_holder(const Hash& from, std::uint64_t until) {
  if (!retiring_holders_.count(from) && retiring_holders_.size() >= kMaxMembers) return false;
  retiring_holders_[from] = until;
  return true;
}

bool Possession::retiring_holder(const Hash& from, std::uint64_t now) const {
  auto it = retiring_holders_.find(from);
  return it != retiring_holders_.end() && now < it->second;
}

void Possession::erase_if_empty(Entries::iterator it) {
  if (it->second.empty()) members_.erase(it);
}

}  // namespace butter::pcg
