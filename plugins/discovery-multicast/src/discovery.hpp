// Discovery: the plugin's instance, which finds peers on the LAN with no address configured (the
// cold start).
//
// Two UDP sockets per node: one bound to the multicast group's port (shared with every other node
// of the host through SO_REUSEADDR) that hears PINGs and ANNOUNCEs, and one on a private
// ephemeral port that sends them and hears the unicast PONGs — a unicast datagram to a shared
// port would reach only one of the nodes of a host. What is heard goes to the known-host cache
// (butter.peers/1). See schedule.hpp for when we ping and answer, beacon.hpp for the datagram,
// datagram_budget.hpp for how many datagrams are processed at all.
#pragma once
#include "beacon.hpp"
#include "datagram_budget.hpp"
#include "schedule.hpp"

#include <butter/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace butter::discovery {

class Discovery : public butter::Plugin {
 public:
  using Plugin::Plugin;
  void init() override;   // reads the config (schema in plugin_entry.cpp)
  void start() override;  // opens the two sockets and pings at once
  void stop() override;

 private:
  // What the known-host cache (butter.peers/1) holds: how many hosts, and whether it knows `id`.
  std::size_t peers_count() const;
  bool peers_known() const { return peers_count() > 0; }
  bool knows(const std::string& id) const;

  Beacon own_beacon(BeaconKind kind) const;
  void send(const Beacon& b, std::string_view address, std::uint16_t port);
  void ping_now();
  void ping();  // and the next one, when the schedule says
  // The cheap path: every datagram is charged to its source address and to the node's budget
  // before anything else is done with it.
  bool within_budget(const butter::Datagram& d);
  void heard(const butter::Datagram& d);

  // Config, read once by init.
  std::string self_, group_, iface_;
  std::uint16_t port_ = 7946;
  int ttl_ = 1;
  bool loop_ = true;
  std::optional<PingSchedule> schedule_;
  std::optional<AnswerPolicy> policy_;
  std::optional<DatagramBudget> budget_;

  butter::DatagramSocket group_socket_, own_socket_;
  butter::Timer ping_timer_;
  butter::Subscription isolated_sub_;
  butter::Counter pings_ = metrics().counter("discovery_pings_sent_total");
  butter::Counter pongs_ = metrics().counter("discovery_pongs_sent_total");
  butter::Counter announces_ = metrics().counter("discovery_announces_sent_total");
  butter::Counter suppressed_ = metrics().counter("discovery_answers_suppressed_total");
  butter::Counter received_ = metrics().counter("discovery_datagrams_received_total");
  butter::Counter malformed_ = metrics().counter("discovery_malformed_total");
  butter::Counter send_errors_ = metrics().counter("discovery_send_errors_total");
  butter::Counter bytes_sent_ = metrics().counter("discovery_bytes_sent_total");
  butter::Counter bytes_received_ = metrics().counter("discovery_bytes_received_total");
  butter::Counter shed_sender_ = metrics().counter("discovery_datagrams_shed_sender_total");
  butter::Counter shed_budget_ = metrics().counter("discovery_datagrams_shed_budget_total");
  butter::Gauge senders_ = metrics().gauge("discovery_datagram_senders");
};

}  // namespace butter::discovery
