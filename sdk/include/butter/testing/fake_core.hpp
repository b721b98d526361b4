// butter/testing/fake_core.hpp — what every part of the fake host (fake_host.hpp) shares: string
// and byte conversions, the node's identity and clock, id and token counters, and the thread rule.
#pragma once

#include <butter/butter.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <thread>

namespace butter::testing {

inline butter_str str(std::string_view s) { return {s.data(), s.size()}; }
inline std::string to_string(butter_str s) { return s.data ? std::string(s.data, s.len) : std::string(); }
inline std::string to_string(butter_bytes b) {
  return b.data ? std::string(reinterpret_cast<const char*>(b.data), b.len) : std::string();
}
inline butter_bytes bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

class FakeCore {
 public:
  std::string node_id = std::string(64, 'a');
  std::uint64_t now = 0;  // the node's clock in ms: uptime, timer.now_ms; advance() moves it

  // The thread rule ([node] calls only on the node's executor): the fake host's executor is the
  // thread that created it. A [node] call from any other thread is refused with BUTTER_E_INVALID,
  // as the real host refuses it, and counted here.
  int wrong_thread_calls = 0;

  // True when a [node] call may go on; counts the call otherwise.
  bool on_node_thread() {
    if (std::this_thread::get_id() == node_thread_) return true;
    ++wrong_thread_calls;
    return false;
  }

  std::uint64_t next_id() { return next_id_++; }
  // A reply token for a delivered request (net) or HTTP call; it is live until answered once.
  std::uint64_t issue_token() {
    const std::uint64_t t = next_token_++;
    live_tokens_.insert(t);
    return t;
  }
  bool token_live(std::uint64_t t) const { return live_tokens_.count(t) != 0; }
  bool retire_token(std::uint64_t t) { return live_tokens_.erase(t) != 0; }

 private:
  std::thread::id node_thread_ = std::this_thread::get_id();
  std::uint64_t next_id_ = 1;
  std::uint64_t next_token_ = 1000;
  std::set<std::uint64_t> live_tokens_;
};

}  // namespace butter::testing
