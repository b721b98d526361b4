// How net.peer (butter.net/1) and net.peer_lookup (butter.net.peer_lookup/1) hand a connected
// peer to a plugin: one transport PeerInfo written into the plugin's butter_net_peer_info as
// borrowed views, so that both calls report a peer alike, field for field.
#pragma once
#include "services/extensions.hpp"
#include "transport/transport.hpp"

#include <butter/ext/net.h>

#include <cstddef>
#include <string>
#include <vector>

namespace butter::host {

// What the views point into besides the PeerInfo itself: the id in hex and the endpoint array.
struct PeerInfoStrings {
  std::string hex;
  std::vector<butter_str> endpoints;
};

// The fields up to `outbound`: what ABI 1.0 had, and the least a caller's struct_size may cover.
inline constexpr std::size_t kPeerInfoV1Size = offsetof(butter_net_peer_info, outbound) + sizeof(int32_t);

// REQUIRES: `p` and `strings` outlive the plugin's use of *out (the current callback).
// local_address is written only when out->struct_size covers it (ABI 1.7).
inline void fill_peer_info(const PeerInfo& p, PeerInfoStrings& strings, butter_net_peer_info* out) {
  strings.hex = p.id.hex();
  strings.endpoints.clear();
  for (const auto& ep : p.endpoints) strings.endpoints.push_back(str_of(ep));
  out->node_id = str_of(strings.hex);
  out->endpoint_count = static_cast<uint32_t>(strings.endpoints.size());
  out->endpoints = strings.endpoints.data();
  out->remote_address = str_of(p.remote_address);
  out->outbound = p.outbound ? 1 : 0;
  if (out->struct_size >= offsetof(butter_net_peer_info, local_address) + sizeof out->local_address)
    out->local_address = str_of(p.local_address);
}

}  // namespace butter::host
