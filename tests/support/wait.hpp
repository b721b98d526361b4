// Waiting on a condition with a deadline: tests never sleep to synchronise.
#pragma once
#include <chrono>
#include <functional>
#include <thread>

namespace butter::test {

// Polls `cond` until it holds or `timeout` passes; returns whether it held. The short pause between
// polls only yields the CPU, it is not the synchronisation.
inline bool wait_until(const std::function<bool()>& cond,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

}  // namespace butter::test
