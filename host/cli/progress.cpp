#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace butter::host::cli {

Progress::Progress(std::string label, std::uint64_t total, std::uint64_t done)
    : label_(std::move(label)),
      total_(total),
      done_(done),
      start_done_(done),
      on_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  if (on_ && !finished_) std::fputc('\n', stderr);
}

void Progress::add(std::uint64_t bytes) {
  done_ += bytes;
  draw(false);
}

void Progress::finish() {
  draw(true);
  if (on_ && !finished_) std::fputc('\n', stderr);
  finished_ = true;
}

void Progress::draw(bool force) {
  if (!on_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double mib = static_cast<double>(done_) / (1024.0 * 1024.0);
  const double rate = secs > 0 ? static_cast<double>(done_ - start_done_) / (1024.0 * 1024.0) / secs : 0.0;
  if (total_ > 0) {
    const int width = 30;
    const double frac = static_cast<double>(done_) / static_cast<double>(total_);
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(filled > width ? width : filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %5.1f%% %.1f/%.1f MiB %.1f MiB/s ", label_.c_str(), bar.c_str(), frac * 100.0, mib,
                 static_cast<double>(total_) / (1024.0 * 1024.0), rate);
  } else {
    std::fprintf(stderr, "\r%s %.1f MiB %.1f MiB/s ", label_.c_str(), mib, rate);
  }
  std::fflush(stderr);
}

}  // namespace butter::host::cli
