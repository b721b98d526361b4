// butter/cpp/streams.hpp — byte streams a plugin carries for the host: a dialer for a URI scheme
// (butter.net/1 register_dialer / stream_deliver / stream_closed) and inbound streams
// (butter.streams/1 accept), so that the host runs its secure handshake, HELLO and framing over
// them as over TCP. Used by the NAT plugin for relay:// endpoints.
//
//   class Relay : public butter::StreamDialer { ... dial/write/close ... };
//   butter::Streams streams(host());            // in init()
//   streams.register_dialer("relay", &relay_);   // relay_ is a member: it outlives the registration
//   streams.deliver(stream_id, bytes);           // bytes from the far side
//   streams.closed(stream_id, "ambassador gone");
//   std::uint64_t id; streams.accept("relay", "relay://...", id);  // an inbound stream
//   streams.writable(stream_id);                 // after write() answered BUTTER_E_AGAIN
//
// Not included by <butter/plugin.hpp>: include this header where you need it. [node]
#pragma once

#include <butter/butter.h>
#include <butter/cpp/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace butter {

// The plugin's side of a scheme's streams. Calls come from the host on the node's executor; an
// exception becomes BUTTER_E_INTERNAL (write/dial) or is swallowed (close).
class StreamDialer {
 public:
  virtual ~StreamDialer() = default;
  // Open a stream to `uri`, later reported under `stream_id` (chosen by the host). Do not call
  // deliver/closed for it before returning. Return an error to fail the dial at once.
  virtual butter_status dial(std::string_view uri, std::uint64_t stream_id) = 0;
  // Bytes for the far side (borrowed: copy them). BUTTER_E_AGAIN when full: nothing was taken,
  // and the host writes the same bytes again after writable() or a short backoff.
  virtual butter_status write(std::uint64_t stream_id, Bytes bytes) = 0;
  // The host is done with the stream (dialled or accepted); forget it.
  virtual void close(std::uint64_t stream_id) = 0;
};

class Streams {
 public:
  explicit Streams(const butter_host* host) noexcept : host_(host) {
    if (host_ && host_->get_extension) {
      net_ = static_cast<const butter_net_v1*>(host_->get_extension(host_, BUTTER_EXT_NET));
      streams_ = static_cast<const butter_streams_v1*>(host_->get_extension(host_, BUTTER_EXT_STREAMS));
      flow_ = static_cast<const butter_streams_flow_v1*>(host_->get_extension(host_, BUTTER_EXT_STREAMS_FLOW));
    }
  }
  // True when the host serves inbound streams (butter.streams/1).
  bool available() const noexcept { return net_ && streams_; }

  // Serves `scheme` with `dialer` until the instance stops. REQUIRES: `dialer` outlives the
  // instance's registrations (make it a member of the plugin). Throws Error when refused.
  void register_dialer(std::string_view scheme, StreamDialer* dialer) {
    if (!net_) throw Error(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_NET);
    butter_net_dialer d{};
    d.struct_size = sizeof d;
    d.user = dialer;
    d.dial = &c_dial;
    d.write = &c_write;
    d.close = &c_close;
    const butter_status st = net_->register_dialer(host_, to_c(scheme), &d);
    if (st != BUTTER_OK) throw Error(st, "register_dialer " + std::string(scheme) + ": " + status_name(st));
  }
  // Bytes arrived from the far side of `stream_id`.
  Status deliver(std::uint64_t stream_id, Bytes bytes) const {
    if (!net_) return Status(BUTTER_E_UNSUPPORTED);
    return Status(net_->stream_deliver(host_, stream_id, bytes.c()));
  }
  // The far side ended `stream_id`; the host closes the connection over it.
  void closed(std::uint64_t stream_id, std::string_view reason) const noexcept {
    if (net_) net_->stream_closed(host_, stream_id, to_c(reason));
  }
  // Hands the host an inbound stream of `scheme` (whose dialer this instance registered).
  Status accept(std::string_view scheme, std::string_view remote, std::uint64_t& out_stream_id) const {
    if (!streams_) return Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_STREAMS);
    return Status(streams_->accept(host_, to_c(scheme), to_c(remote), &out_stream_id));
  }
  // True when the host waits out a write answered BUTTER_E_AGAIN (butter.streams.flow/1); on an
  // older host that answer closes the connection.
  bool flow_control() const noexcept { return flow_ != nullptr; }
  // `stream_id` can take bytes again: the host retries its waiting write now. A no-op on an older
  // host.
  Status writable(std::uint64_t stream_id) const {
    if (!flow_) return Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_STREAMS_FLOW);
    return Status(flow_->writable(host_, stream_id));
  }
  // Like add_address, but `endpoint` is tried first when sending to `node_id`.
  Status prefer_address(std::string_view node_id, std::string_view endpoint) const {
    if (!streams_) return Status(BUTTER_E_UNSUPPORTED, "the host does not offer " BUTTER_EXT_STREAMS);
    return Status(streams_->prefer_address(host_, to_c(node_id), to_c(endpoint)));
  }

 private:
  static butter_status c_dial(void* user, butter_str uri, uint64_t stream_id) noexcept {
    try {
      return static_cast<StreamDialer*>(user)->dial(to_sv(uri), stream_id);
    } catch (const Error& e) {
      return e.code();
    } catch (...) {
      return BUTTER_E_INTERNAL;
    }
  }
  static butter_status c_write(void* user, uint64_t stream_id, butter_bytes bytes) noexcept {
    try {
      return static_cast<StreamDialer*>(user)->write(stream_id, Bytes(bytes));
    } catch (const Error& e) {
      return e.code();
    } catch (...) {
      return BUTTER_E_INTERNAL;
    }
  }
  static void c_close(void* user, uint64_t stream_id) noexcept {
    try {
      static_cast<StreamDialer*>(user)->close(stream_id);
    } catch (...) {
      // The stream is forgotten by the host either way.
    }
  }

  const butter_host* host_ = nullptr;
  const butter_net_v1* net_ = nullptr;
  const butter_streams_v1* streams_ = nullptr;
  const butter_streams_flow_v1* flow_ = nullptr;
};

}  // namespace butter
