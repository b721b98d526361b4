// butter/cpp/datagram.hpp — "butter.datagram/1": UDP sockets owned by the host.
//
//   butter::DatagramOptions o;
//   o.port = 7400; o.reuse_address = true; o.multicast_group = "239.192.0.1"; o.multicast_loop = true;
//   sock_ = datagram().open(o, [this](const butter::Datagram& d) { heard(d.from_address, d.data.text()); });
//   sock_.send_to("239.192.0.1", 7400, "hello");
//
// The DatagramSocket closes on destruction (keep it in a member). A Datagram is borrowed for the
// callback. [node]
#pragma once

#include <butter/cpp/core.hpp>

namespace butter {

struct DatagramOptions {
  std::string bind_address{};         // "0.0.0.0", "127.0.0.1", "::"; empty = "0.0.0.0"
  std::uint16_t port = 0;             // 0 = any free port
  bool reuse_address = false;         // SO_REUSEADDR
  std::string multicast_group{};      // empty = none
  std::string multicast_interface{};  // IPv4 address of the interface; empty = default
  int multicast_ttl = 0;              // 0 = default (1)
  bool multicast_loop = false;        // receive our own multicast
  std::uint32_t max_datagram = 0;     // 0 = 65507
};

// One received datagram (borrowed).
struct Datagram {
  std::uint64_t socket_id;
  std::string_view from_address;
  std::uint16_t from_port;
  Bytes data;
};

using DatagramHandler = std::function<void(const Datagram&)>;

namespace detail {
struct DatagramSlot : Slot {
  DatagramHandler fn;
  void release() noexcept override {
    if (core->ext.datagram && id) core->ext.datagram->close(core->host, id);
  }
  static void received(void* user, std::uint64_t socket_id, butter_str from, std::uint16_t port,
                       butter_bytes data) noexcept {
    auto* s = static_cast<DatagramSlot*>(user);
    s->core->guarded("datagram callback", [&] { s->fn(Datagram{socket_id, to_sv(from), port, Bytes(data)}); });
  }
};
}  // namespace detail

class [[nodiscard]] DatagramSocket : public detail::SlotHandle {
 public:
  DatagramSocket() = default;
  DatagramSocket(detail::Core* core, std::uint64_t key) noexcept : SlotHandle(core, key) {}

  // Sends one datagram (copied). A multicast group address sends to the group.
  Status send_to(std::string_view address, std::uint16_t port, Bytes data) const {
    detail::Slot* s = slot();
    if (!s) return Status(BUTTER_E_INVALID, "socket is closed");
    butter_error err;
    butter_error_init(&err);
    const butter_status st = core_->ext.datagram->send_to(core_->host, s->id, to_c(address), port, data.c(), &err);
    return Status::from(st, err);
  }
  // The bound local port (0 when closed).
  std::uint16_t local_port() const noexcept {
    detail::Slot* s = slot();
    return s ? core_->ext.datagram->local_port(core_->host, s->id) : 0;
  }
  std::uint64_t id() const noexcept {
    detail::Slot* s = slot();
    return s ? s->id : 0;
  }
  void close() noexcept { reset(); }
};

class Datagrams {
 public:
  explicit Datagrams(detail::Core* core) noexcept : core_(core) {}
  bool available() const noexcept { return core_->ext.datagram != nullptr; }

  // Opens a socket; throws Error when the host refuses (port taken, bad group...).
  DatagramSocket open(const DatagramOptions& o, DatagramHandler fn) {
    const auto& dg = core_->need(core_->ext.datagram, BUTTER_EXT_DATAGRAM);
    butter_datagram_options c{};
    c.struct_size = sizeof c;
    c.bind_address = to_c(o.bind_address);
    c.port = o.port;
    c.reuse_address = o.reuse_address ? 1 : 0;
    c.multicast_group = to_c(o.multicast_group);
    c.multicast_interface = to_c(o.multicast_interface);
    c.multicast_ttl = o.multicast_ttl;
    c.multicast_loop = o.multicast_loop ? 1 : 0;
    c.max_datagram = o.max_datagram;
    auto owned = std::make_unique<detail::DatagramSlot>();
    owned->fn = std::move(fn);
    auto& s = core_->add(std::move(owned));
    butter_error err;
    butter_error_init(&err);
    std::uint64_t id = 0;
    const butter_status st = dg.open(core_->host, &c, &detail::DatagramSlot::received, &s, &id, &err);
    if (st != BUTTER_OK) {
      core_->drop(s.key);
      throw Error(st, "datagram open: " + Status::from(st, err).message());
    }
    s.id = id;
    return DatagramSocket(core_, s.key);
  }

 private:
  detail::Core* core_;
};

}  // namespace butter
