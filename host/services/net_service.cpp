// butter.net/1: protocol handlers, one-way messages, requests with deadlines, replies, peer
// events and plugin-supplied dialers, over the node's Transport (the outbound side; what arrives
// is routed to the instances by net_dispatch.cpp).
#include "services/net_dispatch.hpp"

#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/peer_info_out.hpp"
#include "services/service_module.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace butter::host {

namespace {

std::span<const std::uint8_t> span_of(butter_bytes b) {
  return b.data ? std::span<const std::uint8_t>(b.data, b.len) : std::span<const std::uint8_t>();
}

butter_status fail(butter_error* err, const Error& e) { return butter_error_set(err, e.code, e.message.c_str()); }

// net.peer, net.watch_peers and net.register_dialer answer BUTTER_E_INVALID for every refused
// caller, an inactive one (or one on a node without transport) too: published before the
// adapter, kept so that no plugin sees another status.
constexpr Refusals kRefusedAsInvalid{.no_caller = BUTTER_E_INVALID, .inactive = BUTTER_E_INVALID};

bool valid_protocol(const std::string& p) { return !p.empty() && p.size() <= 256; }

butter_status net_handle(const butter_host* host, butter_str protocol, butter_net_handler_fn fn, void* user,
                         butter_error* err) {
  return guarded_reporting<Caller::Transport>(
      host, "net.handle", err, BUTTER_E_NOMEM, [&](PluginInstance& inst) -> butter_status {
        std::string p = copy_str(protocol);
        if (!valid_protocol(p) || !fn) return butter_error_set(err, BUTTER_E_INVALID, "empty or over-long protocol id");
        auto& table = inst.core().protocols;
        auto it = table.find(p);
        if (it != table.end()) {
          auto owner = it->second.owner.lock();
          if (owner && owner.get() != &inst && owner->active()) {
            std::string msg = "protocol " + p + " is already handled by plugin '" + owner->name() + "'";
            return butter_error_set(err, BUTTER_E_INVALID, msg.c_str());
          }
        }
        table[p] = ProtocolHandler{inst.weak_from_this(), fn, user};
        inst.registrations().protocols.insert(p);
        return BUTTER_OK;
      });
}

void net_unhandle(const butter_host* host, butter_str protocol) {
  guarded_void<Caller::NodeThread>(host, "net.unhandle", [&](PluginInstance& inst) {
    std::string p = copy_str(protocol);
    auto& table = inst.core().protocols;
    auto it = table.find(p);
    if (it != table.end() && it->second.owner.lock().get() == &inst) table.erase(it);
    inst.registrations().protocols.erase(p);
  });
}

butter_status net_send(const butter_host* host, butter_str peer, butter_str protocol, butter_bytes payload,
                       butter_error* err) {
  return guarded_reporting<Caller::Transport>(
      host, "net.send", err, BUTTER_E_INTERNAL, [&](PluginInstance& inst) -> butter_status {
        std::string p = copy_str(protocol);
        if (!valid_protocol(p)) return butter_error_set(err, BUTTER_E_INVALID, "empty or over-long protocol id");
        Error e = inst.core().transport->send(copy_str(peer), p, span_of(payload));
        return e ? fail(err, e) : BUTTER_OK;
      });
}

// butter.net.sealed/1: as net_send, with the tail the transport may carry unsealed (frame.hpp).
butter_status net_send_sealed(const butter_host* host, butter_str peer, butter_str protocol, butter_bytes head,
                              butter_bytes sealed, butter_error* err) {
  return guarded_reporting<Caller::Transport>(
      host, "net.send_sealed", err, BUTTER_E_INTERNAL, [&](PluginInstance& inst) -> butter_status {
        std::string p = copy_str(protocol);
        if (!valid_protocol(p)) return butter_error_set(err, BUTTER_E_INVALID, "empty or over-long protocol id");
        Error e = inst.core().transport->send_sealed(copy_str(peer), p, span_of(head), span_of(sealed));
        return e ? fail(err, e) : BUTTER_OK;
      });
}

// Delivers a response to the plugin that asked, unless it was cancelled or the plugin is gone.
void complete_request(NodeCore& core, std::uint64_t id, std::int32_t status, const NodeId& from,
                      std::span<const std::uint8_t> payload, const std::string& protocol, butter_net_response_fn fn,
                      void* user) {
  auto it = core.requests.find(id);
  if (it == core.requests.end()) return;
  auto owner = it->second.owner.lock();
  core.requests.erase(it);
  if (!owner || !owner->active()) return;
  owner->registrations().requests.erase(id);
  std::string from_hex = from.hex();
  butter_net_message msg{};
  msg.struct_size = sizeof msg;
  msg.from = str_of(from_hex);
  msg.protocol = str_of(protocol);
  msg.payload = butter_bytes{payload.data(), payload.size()};
  msg.reply_token = 0;
  owner->invoke("response callback", [&] { fn(user, status, &msg); });
}

butter_status net_request(const butter_host* host, butter_str peer, butter_str protocol, butter_bytes payload,
                          uint32_t timeout_ms, butter_net_response_fn fn, void* user, uint64_t* out_request_id,
                          butter_error* err) {
  return guarded_reporting<Caller::Transport>(
      host, "net.request", err, BUTTER_E_INTERNAL, [&](PluginInstance& inst) -> butter_status {
        if (!fn || timeout_ms == 0)
          return butter_error_set(err, BUTTER_E_INVALID, "a request needs a callback and a timeout");
        NodeCore& core = inst.core();
        std::string p = copy_str(protocol);
        if (!valid_protocol(p)) return butter_error_set(err, BUTTER_E_INVALID, "empty or over-long protocol id");
        std::uint64_t id = core.fresh_id();
        core.requests[id] = PendingRequest{inst.weak_from_this(), 0};
        inst.registrations().requests.insert(id);
        // The ABI promises the callback never runs inside request(); if the transport completes at
        // once, the completion is deferred to the strand.
        auto in_call = std::make_shared<bool>(true);
        auto weak = core.weak_from_this();
        ResponseFn on_response = [weak, id, p, fn, user, in_call](std::int32_t status, const NodeId& from,
                                                                  std::span<const std::uint8_t> body) {
          auto core = weak.lock();
          if (!core) return;
          if (*in_call) {
            std::vector<std::uint8_t> copy(body.begin(), body.end());
            boost::asio::post(core->strand, [weak, id, p, fn, user, status, from, copy] {
              if (auto c = weak.lock()) complete_request(*c, id, status, from, copy, p, fn, user);
            });
            return;
          }
          complete_request(*core, id, status, from, body, p, fn, user);
        };
        std::uint64_t transport_id = 0;
        Error e;
        try {
          e = core.transport->request(copy_str(peer), p, span_of(payload), std::chrono::milliseconds(timeout_ms),
                                      std::move(on_response), &transport_id);
        } catch (...) {
          // No request went out: forget its slot before the adapter reports the throw.
          core.requests.erase(id);
          inst.registrations().requests.erase(id);
          throw;
        }
        *in_call = false;
        if (e) {
          core.requests.erase(id);
          inst.registrations().requests.erase(id);
          return fail(err, e);
        }
        auto it = core.requests.find(id);
        if (it != core.requests.end()) it->second.transport_id = transport_id;
        if (out_request_id) *out_request_id = id;
        return BUTTER_OK;
      });
}

void net_cancel(const butter_host* host, uint64_t request_id) {
  guarded_void<Caller::NodeThread>(host, "net.cancel", [&](PluginInstance& inst) {
    NodeCore& core = inst.core();
    auto it = core.requests.find(request_id);
    if (it == core.requests.end() || it->second.owner.lock().get() != &inst) return;
    if (core.transport && it->second.transport_id) core.transport->cancel(it->second.transport_id);
    core.requests.erase(it);
    inst.registrations().requests.erase(request_id);
  });
}

// butter.net/1 reply and butter.net.reply/1 reply_parts: the payload's parts are joined only where
// the transport queues the frame.
butter_status reply_with(const butter_host* host, uint64_t reply_token, butter_status status,
                         std::span<const std::span<const std::uint8_t>> parts) {
  return guarded<Caller::NodeThread>(host, "net.reply", BUTTER_E_INTERNAL, [&](PluginInstance& inst) -> butter_status {
    NodeCore& core = inst.core();
    auto it = core.reply_slots.find(reply_token);
    if (it == core.reply_slots.end() || it->second.owner.lock().get() != &inst) return BUTTER_E_NOT_FOUND;
    const ReplyToken token = it->second.token;
    butter_status result = BUTTER_E_UNAVAILABLE;
    if (core.transport) {
      // Caught here, not by guarded: a failed reply still consumes the token below.
      try {
        Error e = core.transport->reply_parts(token, status, parts);
        result = e ? e.code : BUTTER_OK;
      } catch (...) {
        result = BUTTER_E_INTERNAL;
      }
    }
    // On BUTTER_E_AGAIN (queue full) the transport keeps the request open, so the plugin's token
    // stays valid for a retry (net.h); any other outcome consumes it.
    if (result == BUTTER_E_AGAIN) return result;
    core.reply_slots.erase(reply_token);  // by key: the transport call may have changed the table
    inst.registrations().reply_tokens.erase(reply_token);
    return result;
  });
}

butter_status net_reply(const butter_host* host, uint64_t reply_token, butter_status status, butter_bytes payload) {
  const std::span<const std::uint8_t> one[1] = {span_of(payload)};
  return reply_with(host, reply_token, status, one);
}

butter_status net_reply_parts(const butter_host* host, uint64_t reply_token, butter_status status,
                              const butter_bytes* parts, uint32_t count) {
  // Refused before the token is looked at, so it survives (net.h). A handler's reply has a few
  // parts; more than the limit is refused rather than allocated for.
  if (count > 0 && !parts) return BUTTER_E_INVALID;
  if (count > BUTTER_NET_REPLY_MAX_PARTS) return BUTTER_E_INVALID;
  std::span<const std::uint8_t> spans[BUTTER_NET_REPLY_MAX_PARTS];
  for (uint32_t i = 0; i < count; ++i) spans[i] = span_of(parts[i]);
  return reply_with(host, reply_token, status, std::span<const std::span<const std::uint8_t>>(spans, count));
}

butter_status net_connect(const butter_host* host, butter_str uri, butter_net_connect_fn fn, void* user) {
  return guarded<Caller::Transport>(host, "net.connect", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    std::weak_ptr<PluginInstance> weak = inst.weak_from_this();
    inst.core().transport->connect(copy_str(uri), [weak, fn, user](Error e, const NodeId& id) {
      auto owner = weak.lock();
      if (!owner || !owner->active() || !fn) return;
      std::string hex = e ? std::string() : id.hex();
      owner->invoke("connect callback", [&] { fn(user, e.code, str_of(hex)); });
    });
    return BUTTER_OK;
  });
}

butter_status net_add_address(const butter_host* host, butter_str node_id, butter_str endpoint) {
  return guarded<Caller::Transport>(host, "net.add_address", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    auto id = node_id_of(node_id);
    std::string ep = copy_str(endpoint);
    if (!id || ep.find("://") == std::string::npos) return BUTTER_E_INVALID;
    inst.core().transport->add_address(*id, {ep});
    return BUTTER_OK;
  });
}

// Strings handed out by peer() live until the next call on this thread: [node] calls of one node
// are serial, and different nodes run on different threads at any one time.
// The list peer_count read is kept for the peer(index) calls after it; it is the node's own (one
// thread runs many nodes in the tests and benches): a peer() without a peer_count first, on another
// node than the last count, reads its own node's list, never the other node's.
thread_local std::vector<PeerInfo> t_peers;
thread_local const NodeCore* t_peers_of = nullptr;
thread_local PeerInfoStrings t_peer_strings;

uint32_t net_peer_count(const butter_host* host) {
  return guarded_value<Caller::Transport>(host, "net.peer_count", uint32_t{0}, [&](PluginInstance& inst) {
    t_peers = inst.core().transport->peers();
    t_peers_of = &inst.core();
    return static_cast<uint32_t>(t_peers.size());
  });
}

butter_status net_peer(const butter_host* host, uint32_t index, butter_net_peer_info* out) {
  auto body = [&](PluginInstance& inst) -> butter_status {
    if (t_peers_of != &inst.core() || t_peers.empty() || index >= t_peers.size()) {
      t_peers = inst.core().transport->peers();
      t_peers_of = &inst.core();
    }
    if (index >= t_peers.size()) return BUTTER_E_NOT_FOUND;
    fill_peer_info(t_peers[index], t_peer_strings, out);
    return BUTTER_OK;
  };
  return guarded<Caller::Transport>(host, "net.peer", out != nullptr, kRefusedAsInvalid, BUTTER_E_INTERNAL, body);
}

butter_status net_watch_peers(const butter_host* host, butter_net_peer_fn fn, void* user) {
  // A throw can only be the tables' allocation.
  auto body = [&](PluginInstance& inst) -> butter_status {
    NodeCore& core = inst.core();
    std::uint64_t id = core.fresh_id();
    // The instance's record first: if the watcher's insertion then throws, the id left there names
    // nothing, and release_net's erase of it is a no-op. The other order would leave a watcher
    // that nothing releases.
    inst.registrations().peer_watchers.insert(id);
    core.peer_watchers[id] = PeerWatcher{inst.weak_from_this(), fn, user};
    return BUTTER_OK;
  };
  return guarded<Caller::Transport>(host, "net.watch_peers", fn != nullptr, kRefusedAsInvalid, BUTTER_E_NOMEM, body);
}

// A plugin's dialer seen from the Transport: stream ids are chosen here, bytes go to the plugin.
class PluginDialer final : public Dialer {
 public:
  PluginDialer(std::weak_ptr<PluginInstance> owner, butter_net_dialer d) : owner_(std::move(owner)), d_(d) {}

  Error dial(const std::string& uri, std::shared_ptr<StreamSink> sink, std::uint64_t& stream_id) override {
    auto owner = owner_.lock();
    if (!owner || !owner->active()) return Error::make(BUTTER_E_UNAVAILABLE, "the dialer's plugin is not active");
    NodeCore& core = owner->core();
    stream_id = core.fresh_id();
    core.dial_streams[stream_id] = DialStream{owner_, sink};
    owner->registrations().dial_streams.insert(stream_id);
    butter_status st = BUTTER_E_INTERNAL;
    owner->invoke("dialer dial", [&] { st = d_.dial(d_.user, str_of(uri), stream_id); });
    if (st != BUTTER_OK) {
      core.dial_streams.erase(stream_id);
      owner->registrations().dial_streams.erase(stream_id);
      return Error::make(st, "the dialer refused " + uri);
    }
    return {};
  }
  Error write(std::uint64_t stream_id, std::span<const std::uint8_t> bytes) override {
    auto owner = owner_.lock();
    if (!owner || !owner->active()) return Error::make(BUTTER_E_UNAVAILABLE, "the dialer's plugin is not active");
    butter_status st = BUTTER_E_INTERNAL;
    owner->invoke("dialer write", [&] { st = d_.write(d_.user, stream_id, butter_bytes{bytes.data(), bytes.size()}); });
    return st == BUTTER_OK ? Error{} : Error::make(st, "dialer write failed");
  }
  void close(std::uint64_t stream_id) override {
    auto owner = owner_.lock();
    if (!owner) return;
    owner->core().dial_streams.erase(stream_id);
    owner->registrations().dial_streams.erase(stream_id);
    owner->invoke("dialer close", [&] { d_.close(d_.user, stream_id); });
  }

 private:
  std::weak_ptr<PluginInstance> owner_;
  butter_net_dialer d_;
};

butter_status net_register_dialer(const butter_host* host, butter_str scheme, const butter_net_dialer* dialer) {
  const bool args_valid = dialer && dialer->dial && dialer->write && dialer->close;
  auto body = [&](PluginInstance& inst) -> butter_status {
    std::string s = copy_str(scheme);
    if (s.empty() || s == "tcp") return BUTTER_E_INVALID;  // tcp:// is the transport's own
    Error e = inst.core().transport->register_dialer(s, std::make_shared<PluginDialer>(inst.weak_from_this(), *dialer));
    if (e) return e.code;
    inst.registrations().dialer_schemes.insert(s);
    return BUTTER_OK;
  };
  return guarded<Caller::Transport>(host, "net.register_dialer", args_valid, kRefusedAsInvalid, BUTTER_E_INTERNAL,
                                    body);
}

butter_status net_stream_deliver(const butter_host* host, uint64_t stream_id, butter_bytes bytes) {
  return guarded<Caller::NodeThread>(host, "net.stream_deliver", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    auto& streams = inst.core().dial_streams;
    auto it = streams.find(stream_id);
    if (it == streams.end() || it->second.owner.lock().get() != &inst) return BUTTER_E_NOT_FOUND;
    auto sink = it->second.sink;
    sink->deliver(span_of(bytes));
    return BUTTER_OK;
  });
}

void net_stream_closed(const butter_host* host, uint64_t stream_id, butter_str reason) {
  guarded_void<Caller::NodeThread>(host, "net.stream_closed", [&](PluginInstance& inst) {
    auto& streams = inst.core().dial_streams;
    auto it = streams.find(stream_id);
    if (it == streams.end() || it->second.owner.lock().get() != &inst) return;
    auto sink = it->second.sink;
    streams.erase(it);
    inst.registrations().dial_streams.erase(stream_id);
    sink->closed(copy_str(reason));  // a throw is swallowed by guarded_void, after the erase
  });
}

const butter_net_v1 kNet = {net_handle,      net_unhandle,        net_send,           net_request,      net_cancel,
                            net_reply,       net_connect,         net_add_address,    net_peer_count,   net_peer,
                            net_watch_peers, net_register_dialer, net_stream_deliver, net_stream_closed};

const butter_net_reply_v1 kNetReply = {net_reply_parts};
const butter_net_sealed_v1 kNetSealed = {net_send_sealed};

}  // namespace

const butter_net_v1* net_extension() { return &kNet; }
const butter_net_reply_v1* net_reply_extension() { return &kNetReply; }
const butter_net_sealed_v1* net_sealed_extension() { return &kNetSealed; }

void release_net(PluginInstance& instance) {
  NodeCore& core = instance.core();
  auto& regs = instance.registrations();
  for (const auto& p : regs.protocols) {
    auto it = core.protocols.find(p);
    if (it != core.protocols.end() && it->second.owner.lock().get() == &instance) core.protocols.erase(it);
  }
  for (auto id : regs.requests) {
    auto it = core.requests.find(id);
    if (it == core.requests.end()) continue;
    if (core.transport && it->second.transport_id) core.transport->cancel(it->second.transport_id);
    core.requests.erase(it);
  }
  for (auto slot : regs.reply_tokens) {
    auto it = core.reply_slots.find(slot);
    if (it == core.reply_slots.end()) continue;
    // A failed (isolated) plugin is an internal error for the requester; a stopped one is gone.
    bool failed = instance.state() == InstanceState::Failed;
    std::string why = failed ? "the plugin handling this request failed: " + instance.failure()
                             : std::string("the handler stopped before answering");
    if (core.transport) {
      core.transport->reply(
          it->second.token, failed ? BUTTER_E_INTERNAL : BUTTER_E_UNAVAILABLE,
          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(why.data()), why.size()));
    }
    core.reply_slots.erase(it);
  }
  for (auto id : regs.peer_watchers) core.peer_watchers.erase(id);
  for (const auto& scheme : regs.dialer_schemes) {
    if (core.transport) core.transport->unregister_dialer(scheme);
  }
  for (auto id : regs.dial_streams) {
    auto it = core.dial_streams.find(id);
    if (it == core.dial_streams.end()) continue;
    auto sink = it->second.sink;
    core.dial_streams.erase(it);
    try {
      sink->closed("the dialer's plugin stopped");
    } catch (...) {
    }
  }
}

const ServiceModule& net_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {
      {BUTTER_EXT_NET, &kNet}, {BUTTER_EXT_NET_REPLY, &kNetReply}, {BUTTER_EXT_NET_SEALED, &kNetSealed}};
  static constexpr ServiceModule kModule{kExtensions, &release_net};
  return kModule;
}

}  // namespace butter::host
