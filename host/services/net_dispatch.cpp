// Inbound side of butter.net/1 (net_dispatch.hpp): one-way messages, requests and peer events
// from the Transport, routed to the instance that handles the protocol or watches peers. During a
// hot swap the frames of a held protocol are queued (hot_swap.cpp replays them).
#include "services/net_dispatch.hpp"
#include "services/extensions.hpp"

#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"

#include <spdlog/spdlog.h>

namespace butter::host {
namespace {

// The message a handler gets; everything borrowed from the arguments for the call.
butter_net_message message_of(const std::string& from_hex, const std::string& protocol,
                              std::span<const std::uint8_t> payload, std::uint64_t reply_token) {
  butter_net_message msg{};
  msg.struct_size = sizeof msg;
  msg.from = str_of(from_hex);
  msg.protocol = str_of(protocol);
  msg.payload = butter_bytes{payload.data(), payload.size()};
  msg.reply_token = reply_token;
  return msg;
}

}  // namespace

void dispatch_message(NodeCore& core, const NodeId& from, const std::string& protocol,
                      std::span<const std::uint8_t> payload) {
  if (!core.held_protocols.empty() && core.held_protocols.count(protocol)) {
    core.held_frames.push_back(HeldFrame{false, from, protocol, {payload.begin(), payload.end()}, {}});
    return;
  }
  auto it = core.protocols.find(protocol);
  if (it == core.protocols.end()) {
    core.metrics.counter_add("", "messages_unrouted_total", 1);
    spdlog::debug("[{}] one-way message for unhandled protocol {} from {}", core.manifest.node.name, protocol,
                  from.short_hex());
    return;
  }
  ProtocolHandler h = it->second;
  auto owner = h.owner.lock();
  if (!owner || !owner->active()) return;
  const std::string from_hex = from.hex();
  const butter_net_message msg = message_of(from_hex, protocol, payload, 0);
  owner->invoke("message handler", [&] { h.fn(h.user, &msg); });
}

void dispatch_request(NodeCore& core, const NodeId& from, const std::string& protocol,
                      std::span<const std::uint8_t> payload, ReplyToken token) {
  auto answer_error = [&](std::int32_t status, const std::string& why) {
    core.transport->reply(token, status,
                          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(why.data()), why.size()));
  };
  if (!core.held_protocols.empty() && core.held_protocols.count(protocol)) {
    core.held_frames.push_back(HeldFrame{true, from, protocol, {payload.begin(), payload.end()}, token});
    return;
  }
  auto it = core.protocols.find(protocol);
  if (it == core.protocols.end()) {
    core.metrics.counter_add("", "messages_unrouted_total", 1);
    answer_error(BUTTER_E_NOT_FOUND, "no handler for protocol " + protocol + " on this node");
    return;
  }
  ProtocolHandler h = it->second;
  auto owner = h.owner.lock();
  if (!owner || !owner->active()) {
    answer_error(BUTTER_E_UNAVAILABLE, "the handler of protocol " + protocol + " is unavailable");
    return;
  }
  std::uint64_t slot = core.fresh_id();
  core.reply_slots[slot] = ReplySlot{owner, token, std::chrono::steady_clock::now()};
  owner->registrations().reply_tokens.insert(slot);
  const std::string from_hex = from.hex();
  const butter_net_message msg = message_of(from_hex, protocol, payload, slot);
  bool ok = owner->invoke("request handler", [&] { h.fn(h.user, &msg); });
  if (!ok && core.reply_slots.count(slot)) {
    core.reply_slots.erase(slot);
    answer_error(BUTTER_E_INTERNAL, "the handler of protocol " + protocol + " failed");
  }
}

void dispatch_peer_event(NodeCore& core, std::int32_t event, const NodeId& peer) {
  std::string hex = peer.hex();
  auto watchers = core.peer_watchers;  // copy: callbacks may add or remove watchers
  for (auto& entry : watchers) {
    auto& w = entry.second;  // not a structured binding: clang 14 refuses one in a lambda
    auto owner = w.owner.lock();
    if (!owner || !owner->active()) continue;
    owner->invoke("peer watcher", [&] { w.fn(w.user, event, str_of(hex)); });
  }
}

}  // namespace butter::host
