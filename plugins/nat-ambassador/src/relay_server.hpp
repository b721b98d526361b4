// RelayServer: this node as an ambassador. It admits private nodes as clients (max_clients),
// opens circuits to them for origins (max_circuits_per_client), forwards the circuits' Data and
// Credit between the two ends within their windows and the byte and time limits, and ends them.
// The protocol is drawn at the top of relay_server.cpp. It reaches the host through a NatPort and
// learns whether this node is public from its owner (Links); the relayed streams of this node's
// own are RelayEnds'.
#pragma once
#include "messages.hpp"
#include "nat_port.hpp"
#include "relay.hpp"
#include "relay_link.hpp"

#include <butter/cpp/metrics.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace butter::nat {

struct RelayServerMetrics {
  explicit RelayServerMetrics(const butter::Metrics& m)
      : relayed_bytes(m.counter("nat_relayed_bytes_total")),
        relayed_connections(m.counter("nat_relayed_connections_total")),
        limit_hits(m.counter("nat_limit_hits_total")),
        clients_accepted(m.counter("nat_clients_accepted_total")),
        clients(m.gauge("nat_clients")),
        window_violations(m.counter("nat_relay_window_violations_total")),
        forward_failures(m.counter("nat_relay_forward_failures_total")) {}
  butter::Counter relayed_bytes, relayed_connections, limit_hits;
  butter::Counter clients_accepted;
  butter::Gauge clients;
  butter::Counter window_violations;  // circuits ended: an end sent past its window
  butter::Counter forward_failures;   // circuits ended: a forward was refused
};

class RelayServer {
 public:
  // What the server needs to know of the rest of the plugin.
  struct Links {
    std::function<bool()> node_public;         // the reachability verdict is public
    std::function<void()> protection_changed;  // clients or circuits were added (sync the protected peers)
  };

  // `limits`, `capture` and `keepalive` are the plugin's settings, read when used (the plugin sets
  // them at init); `keepalive` is its clients' registration refresh.
  RelayServer(NatPort& port, RelayLink& link, const Limits& limits, Capture& capture,
              const std::chrono::milliseconds& keepalive, const butter::Metrics& metrics, Links links);

  // Whether this node serves as an ambassador now: it is public and configured to.
  bool serving() const;
  // A client's Register (new or a refresh): why it is refused, or nothing when it is admitted.
  std::optional<std::string> admit(const std::string& client);
  void on_unregister(const std::string& from);
  void on_open(const std::string& from, const RelayMessage& m);
  // The messages of a circuit travelling through this node (toward_ambassador(leg)).
  void on_data(const std::string& from, const RelayDataView& m);
  void on_close(const std::string& from, const RelayMessage& m);
  void on_credit(const std::string& from, const RelayMessage& m);
  // An origin's Flow before its Open; false when it is not taken (this node does not serve).
  bool on_flow(const std::string& from, const RelayMessage& m);

  // `peer` went down: it is no longer a client, and the circuits it is an end of end.
  void peer_down(const std::string& peer);
  // This node stopped being public: every circuit ends and the clients go elsewhere.
  void stop_serving();
  // Every 500 ms: clients that stopped refreshing lose their slot; circuits past max_relay_ms end.
  void sweep();

  // Whether a circuit through here joins `a` and `b` (either way).
  bool joins(const std::string& a, const std::string& b) const { return circuits_.joins(a, b); }
  // The peers whose connections the relay needs kept: the clients and both ends of every circuit.
  void needed_peers(std::set<std::string>& out) const;
  std::vector<std::string> client_ids() const { return clients_.ids(); }
  std::size_t clients() const { return clients_.size(); }
  std::size_t circuits() const { return circuits_.size(); }

 private:
  // The network address (butter/network_key.hpp) of `origin`'s connection; empty for loopback.
  std::string origin_address(const std::string& origin);
  void end_circuit(std::uint64_t relay_id, const std::string& reason, bool tell_origin, bool tell_target);
  void count_clients() { metrics_.clients.set(static_cast<double>(clients_.size())); }

  NatPort& port_;
  RelayLink& link_;
  const Limits& limits_;
  Capture& capture_;
  const std::chrono::milliseconds& keepalive_;
  Links links_;
  Clients clients_;
  Circuits circuits_;
  FlowOffers flow_offers_;  // origins' Flow waiting for their Open
  RelayServerMetrics metrics_;
};

}  // namespace butter::nat
