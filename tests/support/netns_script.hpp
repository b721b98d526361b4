// What netns_bed.cpp and netns_faults.cpp share: running scripts/netns-bed.sh and naming the
// temporary files the bed's processes log to. Internal to the test support library.
#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace butter::test {

// A fresh path in the temporary directory for `what`'s log (unique per process and call).
std::string temp_log(const std::string& what);

// Runs the bed script with `args`, bounded by `timeout`. Returns its exit status (-1 when it had to
// be killed) and puts its output in `output`.
int run_script(const std::vector<std::string>& args, std::chrono::milliseconds timeout, std::string& output);

}  // namespace butter::test
