// Inbound side of butter.net/1: the Transport's events routed to plugin instances.
#pragma once
#include "core/node_id.hpp"
#include "transport/transport.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace butter::host {

struct NodeCore;

void dispatch_message(NodeCore& core, const NodeId& from, const std::string& protocol,
                      std::span<const std::uint8_t> payload);
// Answers NOT_FOUND when no instance handles the protocol, UNAVAILABLE when its instance failed.
void dispatch_request(NodeCore& core, const NodeId& from, const std::string& protocol,
                      std::span<const std::uint8_t> payload, ReplyToken token);
void dispatch_peer_event(NodeCore& core, std::int32_t event, const NodeId& peer);

}  // namespace butter::host
