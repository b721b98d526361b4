// ReachabilityCheck: whether this node is reachable from outside, and telling peers. It asks
// connected peers (or known hosts) to dial it back, makes the verdict of their answers, feeds the
// addresses they saw it at to ObservedAddresses, and announces this node's status to every peer
// when it changes (reachability.cpp). Reachability (the verdict, peers' statuses) and the settings
// are the plugin's, set up at init and read by other concepts; this class keeps them, and its own
// timers and metrics. It reaches the host through a NatPort and tells the plugin (Links) what the
// other concepts must hear.
#pragma once
#include "messages.hpp"
#include "nat_port.hpp"
#include "observed.hpp"
#include "reachability.hpp"

#include <butter/cpp/metrics.hpp>
#include <butter/cpp/services.hpp>
#include <butter/cpp/timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace butter::nat {

class ReachabilityCheck {
 public:
  struct Links {
    std::function<void(Reach now)> verdict_changed;      // logged; the announcement follows
    std::function<StatusMessage()> own_status;           // what this node announces of itself
    std::function<void(const std::string& peer)> asked;  // a dial-back request went out to `peer`
    // `peer` announced its relay:// endpoint (checked to be its own).
    std::function<void(const std::string& peer, const std::string& endpoint)> relay_endpoint_heard;
    std::function<void()> public_peer_heard;  // a public, serving peer announced itself to this private node
  };

  // `services` finds butter.peers/1 (known hosts to ask when too few peers are direct).
  ReachabilityCheck(NatPort& port, const butter::Services& services, Reachability& reach,
                    const ReachabilityConfig& config, ObservedAddresses& observed, const std::string& self,
                    const std::chrono::milliseconds& request_timeout, const butter::Metrics& metrics, Links links);

  // The verdict the mode or the missing listen ports force, and the first check.
  void start();
  // Announces a changed status every `every` (and sends the ones owed).
  void start_announcing(std::chrono::milliseconds every);
  void stop();

  // This node's listen ports (at most kMaxDialBackPorts).
  std::vector<std::uint16_t> own_ports() const;
  // To every peer when the status changed; to those it could not be sent to before.
  void announce();
  // To one peer (it just came up).
  void announce_to(const std::string& peer);
  // A peer's status announcement.
  void on_status(const std::string& from, const StatusMessage& s);
  // A peer that went down: its answer will not come and its status no longer holds.
  void forget(const std::string& peer) { reach_.forget(peer); }

 private:
  void schedule_check();
  void check();
  void on_dialback_answer(const std::string& peer, const butter::Response& r);
  void set_verdict_from(bool changed);

  NatPort& port_;
  butter::Services services_;
  Reachability& reach_;
  const ReachabilityConfig& reach_config_;
  ObservedAddresses& observed_;
  const std::string& self_;
  const std::chrono::milliseconds& request_timeout_;
  Links links_;
  ReachabilityMetrics metrics_;
  butter::Timer check_timer_, status_timer_;
};

}  // namespace butter::nat
