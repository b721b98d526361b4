// A progress bar on stderr, drawn only when stderr is a terminal (scripts and pipes get nothing),
// at most ten times a second.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace butter::host::cli {

class Progress {
 public:
  // `total` 0 when unknown; `done` the bytes already there (a resumed download).
  Progress(std::string label, std::uint64_t total, std::uint64_t done = 0);
  ~Progress();
  void add(std::uint64_t bytes);
  void finish();

 private:
  void draw(bool force);
  std::string label_;
  std::uint64_t total_, done_, start_done_;
  bool on_ = false, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace butter::host::cli
