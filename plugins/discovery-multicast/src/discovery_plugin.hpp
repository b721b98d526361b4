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
#include "lan_scope.hpp"
#include "schedule.hpp"

#include <butter/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace butter::discovery {

// What the manifest keys of the same names default to: the schema (plugin_entry.cpp) reads these
// initialisers, and the datagram budget's from BudgetLimits (datagram_budget.hpp).
struct Settings {
  std::string group = "239.192.77.1";  // IPv4 multicast group
  std::uint16_t port = 7946;           // UDP port of the group
  std::string interface;               // IPv4 address of the interface; empty: the system's choice
  int ttl = 1;                         // multicast TTL; 1 keeps it on the LAN
  std::uint64_t fast_ms = 100;         // ping interval while cold
  std::uint64_t slow_ms = 60000;       // ping interval once settled
  double answers_per_s = 20;           // unicast answers per second (AnswerPolicy)
  std::uint64_t quiet_ms = 1000;       // a source address is answered at most once per this period
  bool loopback = true;                // receive multicast from this host
};

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
  // Whether a PING from `from` may be answered: on the LAN (lan_scope.hpp).
  bool on_lan(const std::string& from);
  void read_lan();

  // Config, read once by init.
  std::string self_, group_, iface_;
  std::uint16_t port_ = Settings{}.port;
  int ttl_ = Settings{}.ttl;
  bool loop_ = Settings{}.loopback;
  std::optional<PingSchedule> schedule_;
  std::optional<AnswerPolicy> policy_;
  std::optional<DatagramBudget> budget_;
  LanScope lan_;
  std::uint64_t lan_read_ms_ = 0;
  bool lan_read_ = false;

  butter::DatagramSocket group_socket_, own_socket_;
  butter::Timer ping_timer_;
  butter::Subscription isolated_sub_;
  butter::Counter pings_ = metrics().counter("discovery_pings_sent_total");
  butter::Counter pongs_ = metrics().counter("discovery_pongs_sent_total");
  butter::Counter announces_ = metrics().counter("discovery_announces_sent_total");
  butter::Counter suppressed_ = metrics().counter("discovery_answers_suppressed_total");
  butter::Counter off_lan_ = metrics().counter("discovery_pings_off_lan_total");
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
