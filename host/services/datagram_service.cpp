// butter.datagram/1: UDP sockets on the node's strand, with multicast join, TTL and loopback.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

#include <boost/asio/ip/multicast.hpp>
#include <spdlog/spdlog.h>

namespace butter::host {
namespace {

namespace ip = boost::asio::ip;

void receive(const std::weak_ptr<NodeCore>& weak, std::uint64_t id) {
  auto core = weak.lock();
  if (!core) return;
  auto it = core->datagram_sockets.find(id);
  if (it == core->datagram_sockets.end()) return;
  DatagramSocket& s = it->second;
  auto socket = s.socket;
  socket->async_receive_from(
      boost::asio::buffer(s.buffer), s.sender, [weak, id, socket](const boost::system::error_code& ec, std::size_t n) {
        auto core = weak.lock();
        if (!core) return;
        auto it = core->datagram_sockets.find(id);
        if (it == core->datagram_sockets.end()) return;
        if (ec == boost::asio::error::operation_aborted) return;
        if (!ec) {
          DatagramSocket& s = it->second;
          auto owner = s.owner.lock();
          if (!owner || !owner->active()) return;
          std::string addr = s.sender.address().to_string();
          std::uint16_t port = s.sender.port();
          // Copy: the callback may close the socket and free the buffer.
          std::vector<std::uint8_t> data(s.buffer.begin(), s.buffer.begin() + static_cast<std::ptrdiff_t>(n));
          auto fn = s.fn;
          auto user = s.user;
          owner->invoke("datagram callback", [&] {
            fn(user, id, butter_str{addr.data(), addr.size()}, port, butter_bytes{data.data(), data.size()});
          });
        }
        // Errors such as ICMP port unreachable (ECONNREFUSED) must not end
        // the receive loop.
        receive(weak, id);
      });
}

// datagram.open's body, once the caller and the arguments are checked.
butter_status open_datagram_socket(PluginInstance& inst, const butter_datagram_options& opts, butter_datagram_fn fn,
                                   void* user, uint64_t* out_socket_id, butter_error* err) {
  NodeCore& core = inst.core();
  boost::system::error_code ec;
  std::string bind_text = copy_str(opts.bind_address);
  ip::address bind_addr = bind_text.empty() ? ip::address(ip::address_v4::any()) : ip::make_address(bind_text, ec);
  if (ec) return butter_error_set(err, BUTTER_E_INVALID, ("bad bind address '" + bind_text + "'").c_str());
  auto socket = std::make_shared<ip::udp::socket>(core.strand);
  ip::udp::endpoint local(bind_addr, opts.port);
  socket->open(local.protocol(), ec);
  if (!ec && opts.reuse_address) socket->set_option(ip::udp::socket::reuse_address(true), ec);
  if (!ec) socket->bind(local, ec);
  if (ec) {
    std::string msg = "cannot bind udp " + bind_text + ":" + std::to_string(opts.port) + ": " + ec.message();
    return butter_error_set(err, BUTTER_E_UNAVAILABLE, msg.c_str());
  }
  std::string group_text = copy_str(opts.multicast_group);
  std::string iface_text = copy_str(opts.multicast_interface);
  if (!group_text.empty()) {
    ip::address group = ip::make_address(group_text, ec);
    if (ec || !group.is_multicast() || !group.is_v4()) {
      return butter_error_set(err, BUTTER_E_INVALID, ("not an IPv4 multicast group: " + group_text).c_str());
    }
    ip::address_v4 iface = ip::address_v4::any();
    if (!iface_text.empty()) {
      iface = ip::make_address_v4(iface_text, ec);
      if (ec) return butter_error_set(err, BUTTER_E_INVALID, ("bad multicast interface " + iface_text).c_str());
    }
    socket->set_option(ip::multicast::join_group(group.to_v4(), iface), ec);
    if (!ec) socket->set_option(ip::multicast::outbound_interface(iface), ec);
    if (ec) {
      std::string msg = "cannot join " + group_text + " on " + iface.to_string() + ": " + ec.message();
      return butter_error_set(err, BUTTER_E_UNAVAILABLE, msg.c_str());
    }
  }
  int ttl = opts.multicast_ttl > 0 ? opts.multicast_ttl : 1;
  socket->set_option(ip::multicast::hops(ttl > 255 ? 255 : ttl), ec);
  socket->set_option(ip::multicast::enable_loopback(opts.multicast_loop != 0), ec);
  std::uint64_t id = core.fresh_id();
  DatagramSocket s;
  s.owner = inst.weak_from_this();
  s.socket = socket;
  s.buffer.resize(opts.max_datagram ? std::min<std::size_t>(opts.max_datagram, 65535) : 65535);
  s.fn = fn;
  s.user = user;
  core.datagram_sockets.emplace(id, std::move(s));
  inst.registrations().datagram_sockets.insert(id);
  receive(core.weak_from_this(), id);
  if (out_socket_id) *out_socket_id = id;
  return BUTTER_OK;
}

butter_status dg_open(const butter_host* host, const butter_datagram_options* opts, butter_datagram_fn fn, void* user,
                      uint64_t* out_socket_id, butter_error* err) {
  const bool args_valid = opts && fn && opts->struct_size >= sizeof(butter_datagram_options);
  return guarded_reporting<Caller::Active>(
      host, "datagram.open", err, args_valid, "missing callback or options", BUTTER_E_INTERNAL,
      [&](PluginInstance& inst) { return open_datagram_socket(inst, *opts, fn, user, out_socket_id, err); });
}

DatagramSocket* own_socket(PluginInstance* inst, std::uint64_t id) {
  auto it = inst->core().datagram_sockets.find(id);
  if (it == inst->core().datagram_sockets.end() || it->second.owner.lock().get() != inst) return nullptr;
  return &it->second;
}

butter_status dg_send_to(const butter_host* host, uint64_t socket_id, butter_str address, uint16_t port,
                         butter_bytes data, butter_error* err) {
  // An exception (out of memory copying the address) answers BUTTER_E_INTERNAL, err untouched.
  return guarded<Caller::NodeThread>(
      host, "datagram.send_to", BUTTER_E_INTERNAL, [&](PluginInstance& inst) -> butter_status {
        DatagramSocket* s = own_socket(&inst, socket_id);
        if (!s) return butter_error_set(err, BUTTER_E_NOT_FOUND, "unknown socket");
        boost::system::error_code ec;
        std::string addr_text = copy_str(address);
        ip::address addr = ip::make_address(addr_text, ec);
        if (ec) return butter_error_set(err, BUTTER_E_INVALID, ("bad address " + addr_text).c_str());
        if (data.len > 65507) return butter_error_set(err, BUTTER_E_INVALID, "datagram larger than 65507 bytes");
        // Synchronous non-blocking send: UDP either takes the datagram now or drops it.
        s->socket->non_blocking(true, ec);
        s->socket->send_to(boost::asio::buffer(data.data, data.len), ip::udp::endpoint(addr, port), 0, ec);
        if (ec == boost::asio::error::would_block) return butter_error_set(err, BUTTER_E_AGAIN, "socket buffer full");
        if (ec) return butter_error_set(err, BUTTER_E_UNAVAILABLE, ec.message().c_str());
        return BUTTER_OK;
      });
}

uint16_t dg_local_port(const butter_host* host, uint64_t socket_id) {
  return guarded_value<Caller::NodeThread>(host, "datagram.local_port", uint16_t{0}, [&](PluginInstance& inst) {
    DatagramSocket* s = own_socket(&inst, socket_id);
    if (!s) return uint16_t{0};
    boost::system::error_code ec;
    auto ep = s->socket->local_endpoint(ec);
    return ec ? uint16_t{0} : ep.port();
  });
}

void close_socket(NodeCore& core, std::uint64_t id) {
  auto it = core.datagram_sockets.find(id);
  if (it == core.datagram_sockets.end()) return;
  boost::system::error_code ec;
  it->second.socket->close(ec);
  core.datagram_sockets.erase(it);
}

void dg_close(const butter_host* host, uint64_t socket_id) {
  guarded_void<Caller::NodeThread>(host, "datagram.close", [&](PluginInstance& inst) {
    if (!own_socket(&inst, socket_id)) return;
    close_socket(inst.core(), socket_id);
    inst.registrations().datagram_sockets.erase(socket_id);
  });
}

const butter_datagram_v1 kDatagram = {dg_open, dg_send_to, dg_local_port, dg_close};

}  // namespace

const butter_datagram_v1* datagram_extension() { return &kDatagram; }

void release_datagrams(PluginInstance& instance) {
  for (auto id : instance.registrations().datagram_sockets) close_socket(instance.core(), id);
}

const ServiceModule& datagram_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_DATAGRAM, &kDatagram}};
  static constexpr ServiceModule kModule{kExtensions, &release_datagrams};
  return kModule;
}

}  // namespace butter::host
