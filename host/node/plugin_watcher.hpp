// PluginWatcher: inotify on the directories of plugin files (IN_CLOSE_WRITE | IN_MOVED_TO), so that
// `butter dev` sees a new build whether the linker writes the file in place or renames a finished
// file over it. Events are debounced: a file is reported once no event touched it for `debounce`.
// A watched directory that is deleted or moved away (`rm -rf build`, a clean rebuild) is re-armed
// when it comes back: while it is gone, poll() waits at most `kRearmInterval` and tries to watch
// it again; once it exists again, the watched files already in it are reported as changed (they
// may have been written before the new watch was in place).
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

  // How often poll() tries again to watch a directory that was deleted or moved away.
  static constexpr std::chrono::milliseconds kRearmInterval{100};

  // Watches `file` (its directory) for instance `instance`.
  Error watch(const std::string& instance, const std::string& file);
  // Waits up to `timeout` for events; returns the files whose burst of events has settled.
  std::vector<Change> poll(std::chrono::milliseconds timeout);

 private:
  void read_events();
  void lose_dir(int wd);  // its watch is dead (deleted or moved away): re-arm it later
  void rearm_lost();      // tries to watch each lost directory again

  int fd_ = -1;
  std::chrono::milliseconds debounce_;
  std::map<int, std::string> dirs_;                                                 // watch descriptor -> directory
  std::set<std::string> lost_;                                                      // directories without a watch
  std::map<std::string, std::set<std::string>> instances_;                          // absolute file -> instances
  std::map<std::string, std::pair<Clock::time_point, Clock::time_point>> pending_;  // file -> first, last event
};

}  // namespace butter::host
