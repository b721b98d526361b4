// AmbassadorChoice: a private node's own ambassador, chosen among the connected hosts that
// announced themselves public and serving, registered with, kept fresh every keepalive and
// replaced when it fails or goes away (ambassador.cpp). It owns MyAmbassador and its metrics; it
// reads what reachability knows (the verdict, peers' announced statuses), sends through the
// NatPort and RelayLink, and tells the plugin (Links) when streams through a left ambassador must
// end and when the ambassador changed.
#pragma once
#include "ambassador.hpp"
#include "choice.hpp"
#include "messages.hpp"
#include "nat_port.hpp"
#include "reachability.hpp"
#include "relay_link.hpp"

#include <butter/cpp/metrics.hpp>
#include <butter/cpp/services.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace butter::nat {

class AmbassadorChoice {
 public:
  struct Links {
    std::function<void(const std::string& ambassador)> left;  // the streams it relayed to this node end
    std::function<void()> changed;  // the ambassador or relay endpoint changed (protect, announce)
  };

  // The references are the plugin's: reachability's state and settings (mode), this node's id and
  // its settings (keepalive, request timeout), set at init. `services` finds butter.peers/1.
  AmbassadorChoice(NatPort& port, RelayLink& link, const butter::Services& services, const Reachability& reach,
                   const ReachabilityConfig& reach_config, const std::string& self,
                   const std::chrono::milliseconds& keepalive, const std::chrono::milliseconds& request_timeout,
                   const butter::Metrics& metrics, Links links);

  const std::string& id() const { return mine_.id; }  // empty: none
  const std::string& relay_endpoint() const { return mine_.relay_endpoint; }
  std::uint64_t moves() const { return mine_.moves; }

  // Every keepalive: refreshes the registration, or chooses one when there is none.
  void keep();
  // Registers with the best candidate, when private with no ambassador and none being asked.
  void choose();
  // Leaves the ambassador (`exclude`: it failed, keep away from it for a while).
  void drop(const std::string& why, bool exclude);
  // `peer` went down: when it was the ambassador, another is chosen.
  void peer_down(const std::string& peer);

 private:
  void on_registered(const std::string& amb, const butter::Response& r);
  std::string tcp_endpoint_of(const std::string& peer);
  std::uint64_t exclusion_end(std::uint64_t from_ms) const;

  NatPort& port_;
  RelayLink& link_;
  butter::Services services_;
  const Reachability& reach_;
  const ReachabilityConfig& reach_config_;
  const std::string& self_;
  const std::chrono::milliseconds& keepalive_;
  const std::chrono::milliseconds& request_timeout_;
  Links links_;
  MyAmbassador mine_;
  AmbassadorMetrics metrics_;
};

}  // namespace butter::nat
