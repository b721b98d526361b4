// PluginWatcher: inotify on the directories of plugin files (IN_CLOSE_WRITE | IN_MOVED_TO), so that
// `butter dev` sees a new build whether the linker writes the file in place or renames a finished
// file over it. Events are debounced: a file is reported once no event touched it for `debounce`.
//
// Threading: one thread (the dev command's main thread) uses it.
#pragma once
#include "core/status.hpp"

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace butter::host {

class PluginWatcher {
 public:
  using Clock = std::chrono::steady_clock;
  struct Change {
    std::string instance, file;
    Clock::time_point detected;  // the first event of the burst
    Clock::time_point settled;   // when the debounce ended (the file was reported)
  };

  explicit PluginWatcher(std::chrono::milliseconds debounce = std::chrono::milliseconds(75));
  ~PluginWatcher();
  PluginWatcher(const PluginWatcher&) = delete;
  PluginWatcher& operator=(const PluginWatcher&) = delete;

  // Watches `file` (its directory) for instance `instance`.
  Error watch(const std::string& instance, const std::string& file);
  // Waits up to `timeout` for events; returns the files whose burst of events has settled.
  std::vector<Change> poll(std::chrono::milliseconds timeout);

 private:
  void read_events();

  int fd_ = -1;
  std::chrono::milliseconds debounce_;
  std::map<int, std::string> dirs_;                                                 // watch descriptor -> directory
  std::map<std::string, std::set<std::string>> instances_;                          // absolute file -> instances
  std::map<std::string, std::pair<Clock::time_point, Clock::time_point>> pending_;  // file -> first, last event
};

}  // namespace butter::host
