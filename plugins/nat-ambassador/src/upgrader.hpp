// Upgrader: replacing relayed connections by direct ones (hole punching, DCUtR-like; the policy is
// drawn at the top of upgrade.cpp). It owns the upgrades per relayed peer, the punch history, the
// IPs circuits' ambassadors vouch for (vouch.cpp) and asks peers whether this node's NAT keeps
// ports (port_mapping_probe.cpp). It reaches the host through a NatPort and the host's punch
// extensions; the public addresses peers report (ObservedAddresses, fed by the dial-backs) and
// the port mapping verdict are the plugin's, set up at init, and read or fed here.
#pragma once
#include "messages.hpp"
#include "nat_port.hpp"
#include "observed.hpp"
#include "port_mapping.hpp"
#include "punch_plan.hpp"
#include "upgrade.hpp"
#include "vouch.hpp"

#include <butter/cpp/metrics.hpp>
#include <butter/cpp/net.hpp>
#include <butter/cpp/timer.hpp>
#include <butter/ext/punch.h>
#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace butter::nat {

class Upgrader {
 public:
  struct Links {
    std::function<std::vector<std::uint16_t>()> own_ports;  // this node's listen ports (reachability)
  };

  // `host` is what the punch extensions are called with. The references are the plugin's: its
  // settings (`config`, `request_timeout`), the punch extensions it found, this node's id, the
  // addresses peers see it at and its port mapping verdict; they are set at init.
  Upgrader(NatPort& port, const butter_host* host, const PunchExtensions& punch, const PunchConfig& config,
           const std::chrono::milliseconds& request_timeout, const std::string& self, const ObservedAddresses& observed,
           PortMapping& mapping, const butter::Metrics& metrics, Links links);

  // Checks for relayed peers to upgrade every config.every, until stop().
  void start();
  // The instance stops: no more checks, and what runs is forgotten (the host drops the punch
  // callbacks of a stopped instance).
  void stop();
  // A peer that went down: one that comes back starts afresh, and its next circuit is vouched for
  // afresh.
  void forget(const std::string& peer);

  // /butter/nat/1 Connect (a peer that initiates an upgrade) and Sync (it punches now).
  void on_connect(const std::string& from, const ConnectMessage& m, butter::Reply& reply);
  void on_sync(const std::string& from);

  // port_mapping_probe.cpp: asks `peer` where it sees this node's connection come from; answers
  // a peer's such question.
  void ask_mapping(const std::string& peer);
  void serve_mapping(const std::string& from, butter::Reply& reply);

  // vouch.cpp: asks a circuit's ambassador which IP it sees `peer` (the other end) come from.
  void ask_observed(const std::string& ambassador, const std::string& peer);

  nlohmann::ordered_json punch_json() const;  // /nat's "punch" object

 private:
  void tick();
  void start_upgrade(const std::string& peer);
  void on_connect_answer(const std::string& peer, std::uint64_t sent_ms, const butter::Response& r);
  void punch_now(const std::string& peer, const std::vector<std::string>& addresses, bool peer_varies);
  // What this node's Connect says: its offered addresses and whether its NAT varies ports.
  ConnectMessage own_connect() const;
  static void punch_callback(void* user, butter_status st, butter_str reason);
  void punch_finished(const std::string& peer, butter_status st, std::string_view reason);
  void upgrade_failed(const std::string& peer, const std::string& reason);
  std::vector<std::string> punchable_addresses() const;
  // The node's own listen addresses with a numeric, non-loopback host (its LAN addresses).
  std::vector<std::string> lan_addresses() const;
  // The punchable addresses, then the LAN addresses.
  std::vector<std::string> own_candidates() const;
  // What Connect offers: own_candidates() in the order the punch history prefers (those that
  // punched first), at most kMaxPunchAddresses.
  std::vector<std::string> offered_addresses() const;
  // Records a punch's outcome for the addresses it offered (on success, only those of the kind
  // that punched: LAN or public).
  void learn_outcome(const std::string& peer, const std::vector<std::string>& offered, bool ok);
  // A peer's offered addresses less this node's own (two nodes behind one NAT share its public
  // address and may both claim the listen port there).
  std::vector<std::string> usable_peer_addresses(const std::vector<std::string>& theirs) const;
  bool relayed(const std::string& peer) const;
  void on_mapping_answer(const std::string& peer, const butter::Response& r);

  NatPort& port_;
  const butter_host* host_;
  const PunchExtensions& punch_;
  const PunchConfig& config_;
  const std::chrono::milliseconds& request_timeout_;
  const std::string& self_;
  const ObservedAddresses& observed_;
  PortMapping& mapping_;
  butter::Metrics metrics_source_;  // failures by reason get their counters as they come
  Links links_;
  Upgrades upgrades_;
  Vouches vouched_;  // by peer; dropped when it disconnects
  PunchMetrics metrics_;
  butter::Timer timer_;
};

}  // namespace butter::nat
