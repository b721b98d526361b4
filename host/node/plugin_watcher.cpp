// inotify watcher for `butter dev` (plugin_watcher.hpp).
#include "node/plugin_watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace butter::host {

namespace fs = std::filesystem;

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
  bool known = false;
  for (const auto& [wd, d] : dirs_) known = known || d == dir;
  if (!known) {
    int wd = ::inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);
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
      if (dir == dirs_.end() || ev->len == 0) continue;
      std::string file = (fs::path(dir->second) / ev->name).string();
      if (!instances_.count(file)) continue;
      auto [it, fresh] = pending_.try_emplace(file, now, now);
      if (!fresh) it->second.second = now;
    }
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
  pollfd pfd{fd_, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(wait.count())) > 0) read_events();
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
