// NatPort: what nat-ambassador's concept classes (RelayServer, RelayEnds, Upgrader) need of the
// plugin instance, and nothing more: messages and requests to peers, the connected peers, this
// node's listen endpoints, timers and a fresh turn, the node's clock, its log and the
// malformed-message count. The plugin implements it over the SDK (plugin_port.hpp); unit tests
// implement it over a recorder, so that a concept runs without a host.
#pragma once
#include <butter/cpp/log.hpp>
#include <butter/cpp/net.hpp>
#include <butter/cpp/status.hpp>
#include <butter/cpp/timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace butter::nat {

class NatPort {
 public:
  virtual ~NatPort() = default;

  // The node's clock, ms.
  virtual std::uint64_t now_ms() const = 0;
  virtual butter::Status send(std::string_view peer, std::string_view protocol, butter::Bytes payload) = 0;
  // `head` goes under the hop's encryption, `sealed` as it is (already sealed end to end).
  virtual butter::Status send_sealed(std::string_view peer, std::string_view protocol, butter::Bytes head,
                                     butter::Bytes sealed) = 0;
  // `fn` gets the answer, or the failure at `timeout`.
  virtual butter::Status request(std::string_view peer, std::string_view protocol, butter::Bytes payload,
                                 std::chrono::milliseconds timeout, butter::ResponseHandler fn) = 0;
  // Runs `fn` from a fresh turn of the node's executor.
  virtual butter::Status post(std::function<void()> fn) = 0;
  // Runs `fn` every `period` (first after one period) until the Timer is cancelled or destroyed.
  virtual butter::Timer every(std::chrono::milliseconds period, std::function<void()> fn) = 0;
  // Runs `fn` once after `delay`, unless the Timer is cancelled or destroyed first.
  virtual butter::Timer after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  virtual butter::Status add_address(std::string_view node_id, std::string_view endpoint) = 0;
  virtual std::vector<butter::PeerInfo> peers() = 0;
  // The connected peer `node_id` alone (nullopt when not connected): what peers() has for it,
  // without copying the others (butter.net.peer_lookup/1), for what runs once per message.
  virtual std::optional<butter::PeerInfo> peer(std::string_view node_id) = 0;
  // This node's listen endpoints.
  virtual std::vector<std::string> endpoints() const = 0;
  virtual butter::Log log() const = 0;
  // Counts a malformed message from a peer (nat_malformed_total).
  virtual void malformed() = 0;
};

}  // namespace butter::nat
