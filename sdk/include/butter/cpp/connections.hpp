// butter/cpp/connections.hpp — the connection manager (butter.connections/1) for C++ plugins:
// protect the peers this plugin is using, read the watermarks, advertise extra endpoints.
//
//   butter::Connections conns(host());          // in init(), or per callback
//   conns.protect(peer_id, "overlay");          // keep this peer through trims and idle periods
//   conns.unprotect(peer_id, "overlay");
//   auto w = conns.info();                      // low_water, high_water, peers, protected_peers
//   conns.advertise("relay://...");             // announced in HELLO and butter.node/1 endpoints
//   conns.release(peer_id);                     // done with a connection dialled for one request
//
// Not included by <butter/plugin.hpp>: include it where you need it. Every call is [node].
#pragma once

#include <butter/butter.h>
#include <butter/cpp/status.hpp>

#include <string_view>

namespace butter {

class Connections {
 public:
  explicit Connections(const butter_host* host) noexcept : host_(host) {
    if (host_ && host_->get_extension) {
      ext_ = static_cast<const butter_connections_v1*>(host_->get_extension(host_, BUTTER_EXT_CONNECTIONS));
      release_ = static_cast<const butter_connections_release_v1*>(
          host_->get_extension(host_, BUTTER_EXT_CONNECTIONS_RELEASE));
    }
  }
  // False on a host without a connection manager: protect() and friends then do nothing.
  bool available() const noexcept { return ext_ != nullptr; }

  Status protect(std::string_view node_id, std::string_view tag) const {
    if (!ext_) return Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_CONNECTIONS);
    return Status(ext_->protect(host_, to_c(node_id), to_c(tag)));
  }
  Status unprotect(std::string_view node_id, std::string_view tag) const {
    if (!ext_) return Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_CONNECTIONS);
    return Status(ext_->unprotect(host_, to_c(node_id), to_c(tag)));
  }
  // Zeroes (and high_water 0) when unavailable.
  butter_connections_info info() const {
    butter_connections_info i{};
    i.struct_size = sizeof i;
    if (ext_ && ext_->info(host_, &i) != BUTTER_OK) i = butter_connections_info{sizeof i, 0, 0, 0, 0};
    return i;
  }
  Status advertise(std::string_view endpoint) const {
    if (!ext_) return Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_CONNECTIONS);
    return Status(ext_->advertise(host_, to_c(endpoint)));
  }
  Status withdraw(std::string_view endpoint) const {
    if (!ext_) return Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_CONNECTIONS);
    return Status(ext_->withdraw(host_, to_c(endpoint)));
  }
  // Done with a connection dialled for a one-off use (butter.connections.release/1: the host closes
  // it only when nobody else can be using it). A host older than ABI 1.6: nothing happens, and the
  // connection closes by the usual trimming and idle rules.
  Status release(std::string_view node_id) const {
    if (!release_) return Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_CONNECTIONS_RELEASE);
    return Status(release_->release(host_, to_c(node_id)));
  }

 private:
  const butter_host* host_;
  const butter_connections_v1* ext_ = nullptr;
  const butter_connections_release_v1* release_ = nullptr;
};

}  // namespace butter
