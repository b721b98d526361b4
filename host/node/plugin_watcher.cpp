// inotify watcher for `butter dev` (plugin_watcher.hpp).
#include "node/plugin_watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>

namespace butter::host {

namespace fs = std::filesystem;

namespace {

// The events of a directory watch: a file written in place or renamed into it, and the directory
// itself going away (then the kernel also sends IN_IGNORED and the watch is dead).
constexpr std::uint32_t kDirMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

PluginWatcher::PluginWatcher(std::chrono::milliseconds debounce)
    : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)), debounce_(debounce) {}

PluginWatcher::~PluginWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

Error PluginWatcher::watch(const std::string& instance, const std::string& file) {
  if (fd_ < 0) return Error::make(BUTTER_E_INTERNAL, std::string("inotify_init1: ") + std::strerror(errno));
  std::error_code ec;
  fs::path abs = fs::absolute(file, ec).lexically_normal();
  if (ec) return Error::make(BUTTER_E_INVALID, file + ": " + ec.message());
  std::string dir = abs.parent_path().string();
  bool known = lost_.count(dir) > 0;  // gone for now: poll() re-arms it
  for (const auto& [wd, d] : dirs_) known = known || d == dir;
  if (!known) {
    int wd = ::inotify_add_watch(fd_, dir.c_str(), kDirMask);
    if (wd < 0) return Error::make(BUTTER_E_INVALID, "cannot watch " + dir + ": " + std::strerror(errno));
    dirs_[wd] = dir;
  }
  instances_[abs.string()].insert(instance);
  return {};
}

void PluginWatcher::read_events() {
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return;  // EAGAIN: drained
    const auto now = Clock::now();
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      auto dir = dirs_.find(ev->wd);
      if (dir == dirs_.end()) continue;
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        lose_dir(ev->wd);
        continue;
      }
      if (ev->len == 0) continue;
      std::string file = (fs::path(dir->second) / ev->name).string();
      if (!instances_.count(file)) continue;
      auto [it, fresh] = pending_.try_emplace(file, now, now);
      if (!fresh) it->second.second = now;
    }
  }
}

void PluginWatcher::lose_dir(int wd) {
  auto it = dirs_.find(wd);
  if (it == dirs_.end()) return;
  lost_.insert(it->second);
  dirs_.erase(it);
  // A directory moved away keeps its watch on the moved inode: drop it (its IN_IGNORED then finds
  // no entry). After IN_DELETE_SELF or IN_IGNORED the watch is already gone and this fails.
  ::inotify_rm_watch(fd_, wd);
}

void PluginWatcher::rearm_lost() {
  for (auto it = lost_.begin(); it != lost_.end();) {
    int wd = ::inotify_add_watch(fd_, it->c_str(), kDirMask);
    if (wd < 0) {
      ++it;  // still gone: try again at the next poll
      continue;
    }
    dirs_[wd] = *it;
    // Files written between the directory's return and this watch sent no event to us: report
    // the watched ones that are there now (a later event only extends their burst).
    const auto now = Clock::now();
    std::error_code ec;
    for (const auto& [file, insts] : instances_) {
      if (fs::path(file).parent_path() != fs::path(*it) || !fs::exists(file, ec)) continue;
      auto [p, fresh] = pending_.try_emplace(file, now, now);
      if (!fresh) p->second.second = now;
    }
    it = lost_.erase(it);
  }
}

std::vector<PluginWatcher::Change> PluginWatcher::poll(std::chrono::milliseconds timeout) {
  std::vector<Change> out;
  if (fd_ < 0) return out;
  // Wake up for new events, or when the earliest pending burst settles.
  auto wait = timeout;
  for (const auto& [file, t] : pending_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t.second + debounce_ - Clock::now());
    if (left < wait) wait = std::max(left, std::chrono::milliseconds(0));
  }
  if (!lost_.empty()) wait = std::min(wait, kRearmInterval);
  pollfd pfd{fd_, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(wait.count())) > 0) read_events();
  if (!lost_.empty()) rearm_lost();
  const auto now = Clock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.second >= debounce_) {
      for (const auto& inst : instances_[it->first]) out.push_back(Change{inst, it->first, it->second.first, now});
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace butter::host
