#include "relay_flow.hpp"

#include <algorithm>

namespace butter::nat {

std::uint64_t clamp_window(std::uint64_t w) { return std::clamp(w, kMinWindow, kMaxWindow); }

bool EndFlow::unblock() {
  if (!blocked_ || (mode_ != Mode::Legacy && sent_ >= limit_)) return false;
  blocked_ = false;
  return true;
}

bool EndFlow::on_credit(std::uint64_t limit) {
  if (mode_ == Mode::Legacy) return false;
  mode_ = Mode::Windowed;  // an undecided origin: the target takes part
  limit_ = std::max(limit_, limit);
  return unblock();
}

bool EndFlow::on_data(std::uint64_t n, std::optional<std::uint64_t>& credit) {
  credit.reset();
  if (mode_ == Mode::Undecided) {
    // Data before any Credit: the target (or the ambassador) predates flow control.
    mode_ = Mode::Legacy;
    return unblock();
  }
  if (mode_ == Mode::Legacy) return false;
  received_ += n;
  // Grant more once half the window was used: a Credit per half window, not per message.
  if (granted_ - std::min(granted_, received_) <= window_ / 2) {
    granted_ = received_ + window_;
    credit = granted_;
  }
  return false;
}

bool CircuitFlow::from_origin(std::uint64_t n) {
  from_origin_ += n;
  return !windowed() || from_origin_ <= to_origin_limit_ + kWindowSlack;
}

bool CircuitFlow::from_target(std::uint64_t n) {
  if (flow_ && !answered_) legacy_ = true;  // Data before its first Credit: an older target
  from_target_ += n;
  return !windowed() || from_target_ <= to_target_limit_ + kWindowSlack;
}

std::optional<std::uint64_t> CircuitFlow::credit_from_target(std::uint64_t limit) {
  if (!windowed()) return std::nullopt;
  answered_ = true;
  to_origin_limit_ = std::max(to_origin_limit_, std::min(limit, from_origin_ + kMaxWindow));
  return to_origin_limit_;
}

std::optional<std::uint64_t> CircuitFlow::credit_from_origin(std::uint64_t limit) {
  if (!windowed()) return std::nullopt;
  to_target_limit_ = std::max(to_target_limit_, std::min(limit, from_target_ + kMaxWindow));
  return to_target_limit_;
}

}  // namespace butter::nat
