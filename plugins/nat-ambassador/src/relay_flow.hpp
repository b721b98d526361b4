// Flow control of relayed streams: end to end between origin and target, checked at the
// ambassador. Without it an ambassador whose forward queue filled (the target slower than the
// origin) could only end the circuit, and a sender's own hop refusing bytes closed its connection.
//
// Each end grants the other a window: the far end may send up to `limit` bytes in all (an
// absolute offset, so a lost or repeated Credit cannot make the two ends disagree), and the
// receiver moves `limit` forward with a Credit once half its window was delivered to its host.
// A writer out of credit answers the host BUTTER_E_AGAIN and calls writable() when a Credit
// arrives (butter.streams.flow/1). So the bytes of a circuit inside the ambassador are bounded by
// the windows, whatever the speeds, and the ambassador ends a circuit whose end sends past the
// window it was given (a peer that ignores credit is broken or hostile).
//
// Negotiation with nodes that predate it: an origin sends Flow(its window) before Open; an
// ambassador that knows Flow passes it to the target before Incoming; a target that knows it
// answers with its first Credit before any Data. An older node drops the Flow (counted as
// malformed once per relayed connection) and the circuit runs as before: the origin learns that
// from the target side's first message being Data rather than Credit, the ambassador from the
// target's first Data arriving before any Credit.
#pragma once
#include <cstdint>
#include <optional>

namespace butter::nat {

// What an origin may send before the target's first word (its handshake's first message is tiny).
inline constexpr std::uint64_t kInitialWindow = 256 * 1024;
// How far past its limit a writer may go: the host hands a dialer write at most 64 KiB, taken
// whole once any credit is left; twice that for slack.
inline constexpr std::uint64_t kWindowSlack = 128 * 1024;
// Windows a node grants, and that an ambassador accepts from a Flow (clamped into the range).
inline constexpr std::uint64_t kMinWindow = 64 * 1024, kMaxWindow = 4 * 1024 * 1024;

std::uint64_t clamp_window(std::uint64_t w);

// One end of a relayed stream (origin or target).
class EndFlow {
 public:
  enum class Mode { Legacy, Undecided, Windowed };
  // A stream with no flow control (the far side predates it).
  static EndFlow legacy() { return EndFlow(Mode::Legacy, 0, 0); }
  // An origin that sent Flow(window): it may send kInitialWindow until the target answers.
  static EndFlow origin(std::uint64_t window) { return EndFlow(Mode::Undecided, clamp_window(window), kInitialWindow); }
  // A target that heard Flow(origin_window) and answers Credit(first_credit()).
  static EndFlow target(std::uint64_t window, std::uint64_t origin_window) {
    return EndFlow(Mode::Windowed, clamp_window(window), clamp_window(origin_window));
  }

  Mode mode() const { return mode_; }
  bool windowed() const { return mode_ != Mode::Legacy; }
  std::uint64_t window() const { return window_; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t limit() const { return limit_; }
  std::uint64_t granted() const { return granted_; }
  bool blocked() const { return blocked_; }

  // Whether a write may go now; when not, the writer is blocked until a Credit.
  bool may_send() {
    if (mode_ == Mode::Legacy || sent_ < limit_) return true;
    blocked_ = true;
    return false;
  }
  void sent(std::uint64_t n) { sent_ += n; }
  // The target's first Credit: what it grants the origin.
  std::uint64_t first_credit() const { return granted_; }
  // A Credit from the far end. True when it unblocks a blocked writer (call writable()).
  bool on_credit(std::uint64_t limit);
  // Data from the far end: `n` bytes delivered to the host. An undecided origin hearing Data
  // first knows the far side predates flow control (true: unblock a blocked writer). The Credit
  // to send now, if any, goes to `credit`.
  bool on_data(std::uint64_t n, std::optional<std::uint64_t>& credit);

 private:
  EndFlow(Mode m, std::uint64_t window, std::uint64_t limit)
      : mode_(m), window_(window), limit_(limit), granted_(window) {}
  bool unblock();

  Mode mode_;
  std::uint64_t window_ = 0;    // what this end grants ahead of what it received
  std::uint64_t sent_ = 0;      // bytes this end wrote
  std::uint64_t limit_ = 0;     // what it may write in all (the far end's latest Credit)
  std::uint64_t received_ = 0;  // bytes it received
  std::uint64_t granted_ = 0;   // the limit it last granted the far end
  bool blocked_ = false;        // a write was refused for lack of credit
};

// The ambassador's view of one circuit's windows.
class CircuitFlow {
 public:
  // The origin sent Flow(window) before Open.
  static CircuitFlow announced(std::uint64_t origin_window) {
    CircuitFlow f;
    f.flow_ = true;
    f.to_target_limit_ = clamp_window(origin_window);
    return f;
  }
  // The circuit runs with windows (the origin asked; the target has not shown it predates them).
  bool windowed() const { return flow_ && !legacy_; }
  // Data of `n` bytes from one end: false when it goes past the window the other end granted
  // (then end the circuit).
  bool from_origin(std::uint64_t n);
  bool from_target(std::uint64_t n);
  // A Credit from one end: the limit to forward, or nothing (not a windowed circuit). An honest
  // end grants at most a window (<= kMaxWindow) past what it received, which is at most what was
  // forwarded to it: a larger limit is cut to that, so that whatever the ends claim, a circuit
  // holds at most kMaxWindow + kWindowSlack per direction here. The limit forwarded never goes
  // back.
  std::optional<std::uint64_t> credit_from_target(std::uint64_t limit);
  std::optional<std::uint64_t> credit_from_origin(std::uint64_t limit);

 private:
  bool flow_ = false;      // the origin announced Flow
  bool legacy_ = false;    // the target's first message was Data: it predates flow control
  bool answered_ = false;  // the target sent its first Credit
  std::uint64_t from_origin_ = 0, to_origin_limit_ = kInitialWindow;  // origin -> target
  std::uint64_t from_target_ = 0, to_target_limit_ = 0;               // target -> origin
};

}  // namespace butter::nat
