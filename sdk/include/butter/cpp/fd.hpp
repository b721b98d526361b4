// butter/cpp/fd.hpp — "butter.fd/1": watch a descriptor the plugin owns on the node's loop.
//
//   watch_ = fd().watch(inotify_fd, butter::FdRead, [this](int fd, int events) { drain(fd); });
//
// The FdWatch unwatches on destruction; destroy (or reset) it before closing the descriptor: the
// host never closes it. [node]
#pragma once

#include <butter/cpp/core.hpp>

namespace butter {

inline constexpr int FdRead = BUTTER_FD_READ;
inline constexpr int FdWrite = BUTTER_FD_WRITE;

using FdHandler = std::function<void(int fd, int events)>;

namespace detail {
struct FdSlot : Slot {
  FdHandler fn;
  void release() noexcept override {
    if (core->ext.fd && id) core->ext.fd->unwatch(core->host, id);
  }
  static void ready(void* user, int fd, int32_t events) noexcept {
    auto* s = static_cast<FdSlot*>(user);
    s->core->guarded("fd callback", [&] { s->fn(fd, events); });
  }
};
}  // namespace detail

class [[nodiscard]] FdWatch : public detail::SlotHandle {
 public:
  FdWatch() = default;
  FdWatch(detail::Core* core, std::uint64_t key) noexcept : SlotHandle(core, key) {}
  void unwatch() noexcept { reset(); }
};

class Fds {
 public:
  explicit Fds(detail::Core* core) noexcept : core_(core) {}
  bool available() const noexcept { return core_->ext.fd != nullptr; }

  // Watches `fd` for `events` (FdRead | FdWrite); throws Error when refused.
  FdWatch watch(int fd, int events, FdHandler fn) {
    const auto& vt = core_->need(core_->ext.fd, BUTTER_EXT_FD);
    auto owned = std::make_unique<detail::FdSlot>();
    owned->fn = std::move(fn);
    auto& s = core_->add(std::move(owned));
    butter_error err;
    butter_error_init(&err);
    std::uint64_t id = 0;
    const butter_status st = vt.watch(core_->host, fd, events, &detail::FdSlot::ready, &s, &id, &err);
    if (st != BUTTER_OK) {
      core_->drop(s.key);
      throw Error(st, "fd watch: " + Status::from(st, err).message());
    }
    s.id = id;
    return FdWatch(core_, s.key);
  }

 private:
  detail::Core* core_;
};

}  // namespace butter
