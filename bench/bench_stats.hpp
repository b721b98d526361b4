// Small helpers for benchmarks: percentiles and a fixed-width table.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace butter::bench {

using Clock = std::chrono::steady_clock;

inline double percentile_us(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(samples.size() - 1));
  return samples[i];
}

inline double us_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

}  // namespace butter::bench
