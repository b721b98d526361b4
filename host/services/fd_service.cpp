// butter.fd/1: readiness of a plugin-owned descriptor, reported on the node's strand.
// The descriptor stays the plugin's: we release() it from Asio before dropping the watch.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

namespace butter::host {
namespace {

using Desc = boost::asio::posix::stream_descriptor;

void arm(const std::weak_ptr<NodeCore>& weak, std::uint64_t id, std::int32_t event) {
  auto core = weak.lock();
  if (!core) return;
  auto it = core->fd_watches.find(id);
  if (it == core->fd_watches.end()) return;
  auto desc = it->second.descriptor;
  auto wait = event == BUTTER_FD_READ ? Desc::wait_read : Desc::wait_write;
  desc->async_wait(wait, [weak, id, event, desc](const boost::system::error_code& ec) {
    if (ec) return;
    auto core = weak.lock();
    if (!core) return;
    auto it = core->fd_watches.find(id);
    if (it == core->fd_watches.end()) return;
    FdWatch w = it->second;
    auto owner = w.owner.lock();
    if (!owner || !owner->active()) return;
    int fd = w.descriptor->native_handle();
    bool ok = owner->invoke("fd callback", [&] { w.fn(w.user, fd, event); });
    if (ok) arm(weak, id, event);
  });
}

butter_status fd_watch(const butter_host* host, int fd, int32_t events, butter_fd_fn fn, void* user,
                       uint64_t* out_watch_id, butter_error* err) {
  const bool args_valid = fn && fd >= 0 && (events & (BUTTER_FD_READ | BUTTER_FD_WRITE)) != 0;
  return guarded_reporting<Caller::Active>(host, "fd.watch", err, args_valid, "bad descriptor, events or callback",
                                           BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
                                             NodeCore& core = inst.core();
                                             std::uint64_t id = core.fresh_id();
                                             FdWatch w;
                                             w.owner = inst.weak_from_this();
                                             w.descriptor = std::make_shared<Desc>(core.strand, fd);
                                             w.events = events;
                                             w.fn = fn;
                                             w.user = user;
                                             core.fd_watches.emplace(id, std::move(w));
                                             inst.registrations().fd_watches.insert(id);
                                             if (events & BUTTER_FD_READ)
                                               arm(core.weak_from_this(), id, BUTTER_FD_READ);
                                             if (events & BUTTER_FD_WRITE)
                                               arm(core.weak_from_this(), id, BUTTER_FD_WRITE);
                                             if (out_watch_id) *out_watch_id = id;
                                             return BUTTER_OK;
                                           });
}

void drop(NodeCore& core, std::uint64_t id) {
  auto it = core.fd_watches.find(id);
  if (it == core.fd_watches.end()) return;
  boost::system::error_code ec;
  it->second.descriptor->cancel(ec);
  it->second.descriptor->release();  // never close the plugin's descriptor
  core.fd_watches.erase(it);
}

void fd_unwatch(const butter_host* host, uint64_t watch_id) {
  guarded_void<Caller::NodeThread>(host, "fd.unwatch", [&](PluginInstance& inst) {
    auto it = inst.core().fd_watches.find(watch_id);
    if (it == inst.core().fd_watches.end() || it->second.owner.lock().get() != &inst) return;
    drop(inst.core(), watch_id);
    inst.registrations().fd_watches.erase(watch_id);
  });
}

const butter_fd_v1 kFd = {fd_watch, fd_unwatch};

}  // namespace

const butter_fd_v1* fd_extension() { return &kFd; }

void release_fds(PluginInstance& instance) {
  for (auto id : instance.registrations().fd_watches) drop(instance.core(), id);
}

const ServiceModule& fd_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_FD, &kFd}};
  static constexpr ServiceModule kModule{kExtensions, &release_fds};
  return kModule;
}

}  // namespace butter::host
