// NatAmbassador: the plugin instance, a shell over concept classes. It runs the SDK lifecycle
// (lifecycle.cpp: config, init/start/stop, peer events), routes each message to the concept it is
// for, serves the HTTP routes, and holds what several concepts share: the settings, the state
// init sets up and several read (Reachability, ObservedAddresses, PortMapping), and the protected
// peers. The concepts own their behaviour and the rest of their state; they reach the host only
// through a NatPort (nat_port.hpp, PluginPort here) and the rest of the plugin only through the
// callbacks they are given (their Links):
//   RelayServer (relay_server.hpp)  this node as an ambassador: clients, circuits, forwarding
//                     within the limits and windows;
//   RelayEnds (relay_ends.hpp)      this node's own relayed streams: the relay:// dialer (origin)
//                     and the streams its ambassador relays to it (target), with their credit;
//   RelayLink (relay_link.hpp)      the relay messages both send;
//   Upgrader (upgrader.hpp)         replacing relayed connections by direct ones: hole punching
//                     (upgrade.cpp), whether this node's NAT keeps ports (port_mapping_probe.cpp),
//                     the IPs circuits' ambassadors vouch for (vouch.cpp);
//   AmbassadorChoice (ambassador_choice.hpp)  a private node choosing, keeping and replacing its
//                     ambassador (ambassador.cpp);
//   ReachabilityCheck (reachability_check.hpp)  dial-back checks asked of peers, the verdict,
//                     status announcements (reachability.cpp);
//   DialBackServer (dialback_server.hpp)  answering other nodes' dial-back requests.
// The shell's own files:
//   relay.cpp         each /butter/relay/1 message to RelayServer or RelayEnds; the protected peers
//                     (relay.hpp: Protection); Observe answered as an ambassador;
//   nat_messages.cpp  each /butter/nat/1 message to its concept; the status this node announces;
//                     what a changed verdict means for the other concepts;
//   bulk_ping.cpp     GET /nat/throughput (echo throughput to a peer, relayed or direct);
//   http_routes.cpp   the other routes; lifecycle.cpp; plugin_entry.cpp (the descriptor).
#pragma once
#include "ambassador_choice.hpp"
#include "dialback_server.hpp"
#include "messages.hpp"
#include "observed.hpp"
#include "plugin_port.hpp"
#include "port_mapping.hpp"
#include "reachability.hpp"
#include "reachability_check.hpp"
#include "relay.hpp"
#include "relay_ends.hpp"
#include "relay_link.hpp"
#include "relay_server.hpp"
#include "upgrade.hpp"
#include "upgrader.hpp"

#include <butter/cpp/connections.hpp>
#include <butter/cpp/streams.hpp>
#include <butter/plugin.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace butter::nat {

// The plugin's own settings beside its concerns' (ReachabilityConfig, Limits, Capture,
// PunchConfig). Their initialisers are the defaults of the manifest keys of the same names: the
// schema (plugin_entry.cpp) reads them, as it reads the concerns' structs.
struct PluginSettings {
  std::chrono::milliseconds keepalive{2000};        // keepalive_ms: ambassador registration refresh
  std::chrono::milliseconds request_timeout{2000};  // request_timeout_ms: relay and nat requests
  std::chrono::milliseconds status_every{5000};     // status_ms: the check for a changed status
  unsigned observed_quorum = 2;                     // peers that must report a public address
};

class NatAmbassador : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override;
  void start() override;
  void stop() override;

 private:
  // ---- nat_messages.cpp: each /butter/nat/1 message to its concept; this node's status
  void handle_nat(const butter::Request& req, butter::Reply& reply);
  StatusMessage status_message() const;
  // The verdict changed: a public node leaves its ambassador, a private one stops serving and
  // chooses one.
  void on_verdict(Reach now);
  // `peer` announced its relay:// endpoint: tried first when sending to it.
  void prefer_relay(const std::string& peer, const std::string& endpoint);

  // ---- relay.cpp: each relay message to RelayServer or RelayEnds; the peers the relays need kept
  void handle_relay(const butter::Request& req, butter::Reply& reply);
  void relay_peer_down(const std::string& peer);
  void sweep_relays();
  void sync_protection();
  // /butter/nat/1 Observe, as an ambassador (the asking side is the Upgrader's, vouch.cpp)
  void serve_observe(const std::string& from, const std::string& node, butter::Reply& reply);

  // ---- bulk_ping.cpp (GET /nat/throughput)
  struct BulkRun;
  void throughput_route(const butter::HttpRequest& req, butter::HttpResponse res);
  void bulk_next(const std::shared_ptr<BulkRun>& run);
  void bulk_finish(const std::shared_ptr<BulkRun>& run);
  std::string via_of(const std::string& peer);

  // ---- http_routes.cpp
  void add_routes();  // GET /nat, /nat/ping, /nat/throughput (bulk_ping.cpp), /nat/capture
  std::string report_json() const;
  void ping_route(const butter::HttpRequest& req, butter::HttpResponse res);

  // ---- state every concern uses
  std::string self_;
  std::chrono::milliseconds keepalive_{PluginSettings{}.keepalive};
  std::chrono::milliseconds request_timeout_{PluginSettings{}.request_timeout};
  std::chrono::milliseconds status_every_{PluginSettings{}.status_every};
  butter::Streams streams_{nullptr};
  butter::Connections conns_{nullptr};
  PluginPort port_{*this};  // what the concept classes reach the host through

  // ---- reachability: checked by ReachabilityCheck (reachability.cpp), read by the relays and
  // AmbassadorChoice; its settings are read at init (lifecycle.cpp)
  ReachabilityConfig reach_config_;
  Reachability reach_;
  DialBackServer dialback_server_{port_, fd(), reach_config_, metrics()};  // answering others' dial-backs

  // ---- the relays: this node as an ambassador (RelayServer) and as an end (RelayEnds); their
  // settings are read at init (lifecycle.cpp), and the protected peers are kept here (relay.cpp)
  Limits limits_;
  Capture capture_;  // DEBUG: the first relayed bytes (RelayServer adds them)
  Protection protection_;
  butter::Timer sweep_timer_;
  RelayLink relay_link_{port_};
  RelayServer relay_server_{port_,
                            relay_link_,
                            limits_,
                            capture_,
                            keepalive_,
                            metrics(),
                            {.node_public = [this] { return reach_.verdict.state() == Reach::Public; },
                             .protection_changed = [this] { sync_protection(); }}};
  RelayEnds relay_ends_{
      port_,
      relay_link_,
      streams_,
      limits_,
      self_,
      metrics(),
      {.ambassador = [this] { return ambassador_.id(); },
       .circuit_opened = [this](const std::string& amb, const std::string& peer) { upgrader_.ask_observed(amb, peer); },
       .protection_changed = [this] { sync_protection(); }}};

  // ---- having an ambassador (AmbassadorChoice, ambassador.cpp), and the timer that keeps it
  // (which also retries the relay:// dialer's registration)
  AmbassadorChoice ambassador_{port_,
                               relay_link_,
                               services(),
                               reach_,
                               reach_config_,
                               self_,
                               keepalive_,
                               request_timeout_,
                               metrics(),
                               {.left = [this](const std::string& amb) { relay_ends_.left(amb); },
                                .changed =
                                    [this] {
                                      sync_protection();
                                      reach_check_.announce();
                                    }}};
  butter::Timer keep_timer_;

  // ---- the upgrades to direct connections (Upgrader: upgrade.cpp, port_mapping_probe.cpp,
  // vouch.cpp); its settings and the punch extensions are read at init (lifecycle.cpp), and the
  // public addresses peers see this node at are fed by the dial-backs (reachability.cpp)
  PunchConfig punch_config_;
  PunchExtensions punch_;
  ObservedAddresses observed_{PluginSettings{}.observed_quorum, 10 * 60 * 1000};
  PortMapping mapping_{PluginSettings{}.observed_quorum, 10 * 60 * 1000};  // the Upgrader feeds it
  Upgrader upgrader_{
      port_, host(),    punch_,   punch_config_, request_timeout_,
      self_, observed_, mapping_, metrics(),     {.own_ports = [this] { return reach_check_.own_ports(); }}};

  ReachabilityCheck reach_check_{
      port_,
      services(),
      reach_,
      reach_config_,
      observed_,
      self_,
      request_timeout_,
      metrics(),
      {.verdict_changed = [this](Reach now) { on_verdict(now); },
       .own_status = [this] { return status_message(); },
       .asked = [this](const std::string& peer) { upgrader_.ask_mapping(peer); },
       .relay_endpoint_heard = [this](const std::string& peer,
                                      const std::string& endpoint) { prefer_relay(peer, endpoint); },
       .public_peer_heard =
           [this] {
             if (ambassador_.id().empty()) ambassador_.choose();
           }}};

  // ---- bulk_ping.cpp's
  std::shared_ptr<BulkRun> bulk_;  // the run under way, if any
};

}  // namespace butter::nat
