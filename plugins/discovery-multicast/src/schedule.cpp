#include "schedule.hpp"

#include <algorithm>

namespace butter::discovery {

std::uint64_t PingSchedule::next_delay(bool peers_known) {
  if (peers_known != had_peers_) {
    had_peers_ = peers_known;
    current_ = 0;
  }
  std::uint64_t cap = peers_known ? slow_ms_ : std::min(slow_ms_, 8 * fast_ms_);
  current_ = current_ == 0 ? fast_ms_ : std::min(cap, current_ * 2);
  return current_;
}

bool PingSchedule::became_isolated(bool peers_known) {
  bool isolated_now = had_peers_ && !peers_known;
  if (isolated_now) {
    had_peers_ = false;
    current_ = 0;
  }
  return isolated_now;
}

Answer AnswerPolicy::on_ping(const std::string& source_address, bool sender_cold, bool sender_known,
                             std::uint64_t now_ms, bool may_unicast) {
  // Forget addresses answered long ago: only those answered in the last quiet period stay, and
  // answers are bounded by the bucket (plus one ANNOUNCE a period), so the map is too.
  for (auto it = last_answered_.begin(); it != last_answered_.end();) {
    it = now_ms - it->second > quiet_ms_ ? last_answered_.erase(it) : std::next(it);
  }
  if (!sender_cold && sender_known) {
    ++suppressed_;
    return Answer::None;  // it knows peers and we know it: its own schedule covers the rest
  }
  if (last_answered_.count(source_address)) {
    ++suppressed_;
    return Answer::None;
  }
  if (may_unicast && bucket_.take(now_ms)) {
    last_answered_[source_address] = now_ms;
    return Answer::Unicast;
  }
  if (!announced_ || now_ms - last_announce_ >= quiet_ms_) {
    announced_ = true;
    last_announce_ = now_ms;
    last_answered_[source_address] = now_ms;
    return Answer::Announce;
  }
  // Not answered at all (no token, and this period's ANNOUNCE went out before it asked, so it
  // may not have heard it): not marked as answered, so its next ping is considered again as soon
  // as a token or the next ANNOUNCE period comes.
  ++suppressed_;
  return Answer::None;
}

}  // namespace butter::discovery
