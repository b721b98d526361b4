// butter/cpp/services.hpp — "butter.services/1": use an interface another plugin provides.
//
//   if (auto peers = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS)) {
//     peers->add_candidate(peers.provider(), to_c(id), eps, n, to_c("multicast"));
//     std::uint32_t n = peers.call(&butter_peers_v1::count);          // same, shorter
//   } else {
//     log().debug("no peers provider: {}", peers.status().message());
//   }
//
// A Service is valid until the current callback returns: never keep it (the provider may be
// swapped or isolated between callbacks); acquire it again next time. [node]
#pragma once

#include <butter/cpp/core.hpp>

#include <type_traits>

namespace butter {

template <class V>
class Service {
 public:
  Service(Status status, const V* vtable, const butter_plugin* provider) noexcept
      : status_(std::move(status)), vtable_(vtable), provider_(provider) {}

  explicit operator bool() const noexcept { return vtable_ != nullptr; }
  const Status& status() const noexcept { return status_; }
  const V* vtable() const noexcept { return vtable_; }
  const V* operator->() const noexcept { return vtable_; }
  // Pass as the first argument of the vtable's functions.
  const butter_plugin* provider() const noexcept { return provider_; }

  // Calls vtable->*fn(provider, args...).
  template <class R, class... P, class... A>
  R call(R (*V::*fn)(const butter_plugin*, P...), A&&... args) const {
    if (!vtable_) throw Error(status_);
    return (vtable_->*fn)(provider_, std::forward<A>(args)...);
  }

 private:
  Status status_;
  const V* vtable_;
  const butter_plugin* provider_;
};

class Services {
 public:
  explicit Services(const detail::Core* core) noexcept : core_(core) {}

  // Looks up a started provider of `interface_id`. An empty Service carries the reason
  // (BUTTER_E_NOT_FOUND: nobody provides it; BUTTER_E_UNAVAILABLE: failed, stopped or swapping).
  template <class V>
  Service<V> acquire(const char* interface_id) const {
    if (!core_->ext.services)
      return Service<V>(Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_SERVICES), nullptr, nullptr);
    butter_service s{};
    s.struct_size = sizeof s;
    const butter_status st = core_->ext.services->acquire(core_->host, interface_id, &s);
    if (st != BUTTER_OK || !s.vtable)
      return Service<V>(
          Status(st == BUTTER_OK ? BUTTER_E_INTERNAL : st, std::string(interface_id) + ": " + status_name(st)), nullptr,
          nullptr);
    return Service<V>(Status(), static_cast<const V*>(s.vtable), s.provider);
  }

 private:
  const detail::Core* core_;
};

}  // namespace butter
