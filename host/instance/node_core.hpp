// NodeCore: the state of one node that the host services share — identity, the strand, the
// transport, the HTTP endpoint, the metrics registry and the tables that route network messages,
// timers and requests to plugin instances. Owned by Node; lives until every instance is gone.
//
// Threading: touched only on the node's strand (fields marked otherwise say so).
#pragma once
#include "core/executor.hpp"
#include "core/node_id.hpp"
#include "http/http_server.hpp"
#include "manifest/manifest.hpp"
#include "instance/metrics_registry.hpp"
#include "instance/service_table.hpp"
#include "transport/transport.hpp"

#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <butter/ext/datagram.h>
#include <butter/ext/events.h>
#include <butter/ext/fd.h>
#include <butter/ext/http.h>
#include <butter/ext/net.h>
#include <butter/ext/timer.h>

#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

namespace butter::host {

class PluginInstance;

struct ProtocolHandler {
  std::weak_ptr<PluginInstance> owner;
  butter_net_handler_fn fn = nullptr;
  void* user = nullptr;
};

struct TimerEntry {
  std::weak_ptr<PluginInstance> owner;
  std::shared_ptr<boost::asio::steady_timer> timer;
  std::chrono::milliseconds period{0};
  butter_timer_fn fn = nullptr;
  void* user = nullptr;
};

struct PendingRequest {
  std::weak_ptr<PluginInstance> owner;
  std::uint64_t transport_id = 0;
};

struct ReplySlot {
  std::weak_ptr<PluginInstance> owner;
  ReplyToken token;
  std::chrono::steady_clock::time_point created;
};

struct PeerWatcher {
  std::weak_ptr<PluginInstance> owner;
  butter_net_peer_fn fn = nullptr;
  void* user = nullptr;
};

struct DatagramSocket {
  std::weak_ptr<PluginInstance> owner;
  std::shared_ptr<boost::asio::ip::udp::socket> socket;
  std::vector<std::uint8_t> buffer;
  boost::asio::ip::udp::endpoint sender;
  butter_datagram_fn fn = nullptr;
  void* user = nullptr;
};

struct FdWatch {
  std::weak_ptr<PluginInstance> owner;
  std::shared_ptr<boost::asio::posix::stream_descriptor> descriptor;
  std::int32_t events = 0;
  butter_fd_fn fn = nullptr;
  void* user = nullptr;
};

struct DialStream {
  std::weak_ptr<PluginInstance> owner;
  std::shared_ptr<StreamSink> sink;
};

struct EventSubscription {
  std::weak_ptr<PluginInstance> owner;
  std::string topic;
  butter_event_fn fn = nullptr;
  void* user = nullptr;
};

struct HttpSlot {
  std::weak_ptr<PluginInstance> owner;
  HttpResponder responder;
  std::shared_ptr<HttpExchange> exchange;  // butter.http/2 routes only
  std::uint64_t route = 0;                 // butter.http/2: the route it came by (ended on unroute)
};

// An inbound message or request for a protocol held during a hot swap, dispatched once the swap
// is over (to whichever instance then handles the protocol).
struct HeldFrame {
  bool is_request = false;
  NodeId from;
  std::string protocol;
  std::vector<std::uint8_t> payload;
  ReplyToken token;
};

struct NodeCore : std::enable_shared_from_this<NodeCore> {
  NodeCore(IoContext& io_context, Manifest m, const ServiceTable& service_table)
      : io(io_context), strand(boost::asio::make_strand(io_context)), manifest(std::move(m)), services(service_table) {}

  IoContext& io;
  Strand strand;
  Manifest manifest;
  const ServiceTable services;               // what every instance's butter_host calls (services/)
  std::shared_ptr<const Identity> identity;  // set by Node::start
  NodeId id;
  std::string id_hex;  // [any-thread] after construction
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();  // [any-thread]
  std::unique_ptr<Transport> transport;
  std::unique_ptr<HttpServer> http;  // null when the manifest turns HTTP off
  MetricsRegistry metrics;

  std::vector<std::shared_ptr<PluginInstance>> instances;  // in start order

  std::map<std::string, ProtocolHandler> protocols;
  std::map<std::uint64_t, TimerEntry> timers;
  std::map<std::uint64_t, PendingRequest> requests;
  std::map<std::uint64_t, ReplySlot> reply_slots;
  std::map<std::uint64_t, PeerWatcher> peer_watchers;
  std::map<std::uint64_t, DatagramSocket> datagram_sockets;
  std::map<std::uint64_t, FdWatch> fd_watches;
  std::map<std::uint64_t, HttpSlot> http_slots;
  std::map<std::uint64_t, std::weak_ptr<PluginInstance>> http_routes;
  std::map<std::uint64_t, DialStream> dial_streams;
  std::map<std::uint64_t, EventSubscription> event_subscriptions;
  // Hot swap: protocols whose inbound frames are queued instead of dispatched (see hot_swap.cpp).
  std::set<std::string> held_protocols;
  std::deque<HeldFrame> held_frames;
  std::uint64_t next_id = 1;
  std::uint64_t fresh_id() { return next_id++; }

  bool stopping = false;

  // Called on the strand after an instance was isolated (instance name, reason); `butter run`
  // sets it when [node] on_plugin_failure = "exit". Empty: the node just goes on without it.
  std::function<void(const std::string&, const std::string&)> on_plugin_failure;

  // GET /status and GET /metrics bodies (node_report.cpp).
  nlohmann::json status_json() const;
  std::string metrics_text() const;

  // The instance providing `interface_id`, if any (started or not).
  std::shared_ptr<PluginInstance> provider_of(const std::string& interface_id) const;
};

}  // namespace butter::host
