// NatAmbassador: the plugin instance. Three concerns, one file each:
//   reachability.cpp  dial-back checks (asking and answering), the verdict, status announcements;
//   relay.cpp         relayed streams: the relay:// dialer (sending side), the ambassador's
//                     forwarding with limits, and the client side that hands streams to the host;
//   ambassador.cpp    a private node choosing, keeping and replacing its ambassador;
//   upgrade.cpp       replacing a relayed connection by a direct one (hole punching, DCUtR-like);
//   vouch.cpp         the IP a circuit's ambassador sees its other end come from (where spread may go);
//   bulk_ping.cpp     GET /nat/throughput (echo throughput to a peer, relayed or direct);
// plus plugin_entry.cpp (config, HTTP routes, descriptor).
#pragma once
#include "choice.hpp"
#include "messages.hpp"
#include "observed.hpp"
#include "punch_history.hpp"
#include "punch_plan.hpp"
#include "verdict.hpp"

#include <butter/cpp/connections.hpp>
#include <butter/cpp/streams.hpp>
#include <butter/plugin.hpp>
#include <nlohmann/json_fwd.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace butter::nat {

struct Limits {
  bool serve = true;  // act as an ambassador when public
  std::uint32_t max_clients = 16;
  std::uint64_t max_relay_bytes = 0;  // per relayed connection, both ways; 0 = no limit
  std::uint64_t max_relay_ms = 0;     // per relayed connection; 0 = no limit
};

class NatAmbassador : public butter::Plugin, public butter::StreamDialer {
 public:
  using Plugin::Plugin;

  void init() override;
  void start() override;
  void stop() override;

  // butter::StreamDialer (relay.cpp): the host's side of relay:// streams.
  butter_status dial(std::string_view uri, std::uint64_t stream_id) override;
  butter_status write(std::uint64_t stream_id, butter::Bytes bytes) override;
  void close(std::uint64_t stream_id) override;

 private:
  // ---- reachability.cpp
  struct Probe;  // one dial-back in progress (answering side)
  void handle_nat(const butter::Request& req, butter::Reply& reply);
  void check_reachability();
  void on_dialback_answer(const std::string& peer, const butter::Response& r);
  void serve_dialback(const std::string& from, const DialBackRequest& req, butter::Reply reply);
  void probe_port(std::uint64_t job, std::size_t index, const std::string& ip, std::uint16_t port);
  void finish_probe(std::uint64_t job, std::size_t index, bool reached);
  void set_verdict_from(bool changed);
  void announce();
  void on_status(const std::string& from, const StatusMessage& s);
  std::vector<std::uint16_t> own_ports() const;
  void schedule_check();

  // ---- relay.cpp
  struct HostStream {           // a stream the host knows, by host stream id
    bool inbound = false;       // accepted (we are the relay's target) or dialled (we are the origin)
    std::string ambassador;     // node id
    std::uint64_t wire_id = 0;  // inbound: the ambassador's relay id; outbound: = host stream id
    bool opened = false;        // outbound: Open sent
    std::string target;         // outbound: the client we dial
    std::string ambassador_tcp;
    std::string uri;                   // outbound: the relay:// endpoint dialled
    std::vector<std::string> pending;  // outbound: Data waiting for Open
  };
  struct Relayed {  // a connection this node relays as ambassador
    std::string origin, target;
    std::uint64_t origin_stream = 0;
    std::uint64_t bytes = 0;
    std::uint64_t started_ms = 0;
  };
  void handle_relay(const butter::Request& req, butter::Reply& reply);
  void relay_open_now(std::uint64_t stream_id);
  void on_open(const std::string& from, const RelayMessage& m);
  void on_incoming(const std::string& from, const RelayMessage& m);
  void on_data(const std::string& from, const RelayDataView& m);
  void on_close(const std::string& from, const RelayMessage& m);
  void on_register(const std::string& from, butter::Reply& reply);
  butter_status send_relay(const std::string& peer, const RelayMessage& m);
  butter_status send_relay_data(const std::string& peer, Leg leg, std::uint64_t stream, const std::uint8_t* data,
                                std::size_t len);
  void end_relayed(std::uint64_t relay_id, const std::string& reason, bool tell_origin, bool tell_target);
  void end_host_stream(std::uint64_t stream_id, const std::string& reason);
  void relay_peer_down(const std::string& peer);
  void sweep_relays();
  void sync_protection();
  void capture(std::string_view bytes);

  // ---- ambassador.cpp
  void keep_ambassador();
  void choose_ambassador();
  void on_registered(const std::string& amb, const butter::Response& r);
  void drop_ambassador(const std::string& why, bool exclude);
  std::string tcp_endpoint_of(const std::string& peer) const;
  bool serving() const;

  // ---- upgrade.cpp
  struct Upgrade {                  // one relayed peer this node tries to reach directly
    unsigned attempts = 0;          // punches tried (both roles)
    std::uint64_t next_try_ms = 0;  // backoff: not before
    bool running = false;
    std::uint64_t started_ms = 0;
    std::string last;                  // "direct", or the last failure's reason
    std::uint64_t rtt_ms = 0;          // initiator: round trip of the last Connect over the relay
    std::vector<std::string> offered;  // our addresses the running punch offered (for history_)
  };
  struct Offer {  // responder: a Connect answered, waiting for the initiator's Sync
    std::vector<std::string> addresses;
    std::vector<std::string> offered;  // ours, as answered
    std::uint64_t until_ms = 0;
  };
  struct PunchCall {  // the user pointer of one butter.punch/1 call
    NatAmbassador* self = nullptr;
    std::string peer;
    std::uint64_t id = 0;
  };
  void upgrade_tick();
  void start_upgrade(const std::string& peer);
  void on_connect_answer(const std::string& peer, std::uint64_t sent_ms, const butter::Response& r);
  void on_connect(const std::string& from, const std::vector<std::string>& addresses, butter::Reply& reply);
  void on_sync(const std::string& from);
  void punch_now(const std::string& peer, const std::vector<std::string>& addresses);
  void punch_finished(const std::string& peer, butter_status st, std::string_view reason);
  void upgrade_failed(const std::string& peer, const std::string& reason);
  std::vector<std::string> punchable_addresses() const;
  // The node's own listen addresses with a numeric, non-loopback host (its LAN addresses).
  std::vector<std::string> lan_addresses() const;
  // The punchable addresses, then the LAN addresses.
  std::vector<std::string> own_candidates() const;
  // What Connect offers: own_candidates() in the order history_ prefers (those that punched
  // first), at most kMaxPunchAddresses.
  std::vector<std::string> offered_addresses() const;
  // Records a punch's outcome for the addresses it offered (on success, only those of the kind
  // that punched: LAN or public).
  void learn_outcome(const std::string& peer, const std::vector<std::string>& offered, bool ok);
  // A peer's offered addresses less this node's own (two nodes behind one NAT share its public
  // address and may both claim the listen port there).
  std::vector<std::string> usable_peer_addresses(const std::vector<std::string>& theirs) const;
  bool relayed(const std::string& peer) const;
  nlohmann::ordered_json punch_json() const;  // /nat's "punch" object

  // ---- vouch.cpp: the IP the ambassador of a circuit sees its other end come from
  struct Vouch {
    std::string ip;           // numeric
    std::uint64_t at_ms = 0;  // when it was said (the oldest makes room)
  };
  void ask_observed(const std::string& ambassador, const std::string& peer);
  void serve_observe(const std::string& from, const std::string& node, butter::Reply& reply);
  std::string vouched_ip(const std::string& peer) const;  // empty: none
  std::map<std::string, Vouch> vouched_;  // by peer; at most kMaxVouched, oldest dropped, dropped when it disconnects
  static constexpr std::size_t kMaxVouched = 256;
  static void punch_callback(void* user, butter_status st, butter_str reason);

  // ---- bulk_ping.cpp (GET /nat/throughput)
  struct BulkRun;
  void throughput_route(const butter::HttpRequest& req, butter::HttpResponse res);
  void bulk_next(const std::shared_ptr<BulkRun>& run);
  void bulk_finish(const std::shared_ptr<BulkRun>& run);
  std::string via_of(const std::string& peer);
  std::shared_ptr<BulkRun> bulk_;  // the run under way, if any

  // ---- plugin_entry.cpp
  void try_register_dialer();
  std::string report_json() const;
  void ping_route(const butter::HttpRequest& req, butter::HttpResponse res);

  // config
  std::string mode_ = "auto";  // auto | public | private
  Limits limits_;
  unsigned quorum_ = 2, probes_ = 3;
  std::chrono::milliseconds check_fast_{1000}, check_slow_{30000}, dialback_timeout_{2000};
  std::chrono::milliseconds keepalive_{2000}, request_timeout_{2000}, status_every_{5000};
  std::size_t capture_max_ = 0;

  std::string self_;
  butter::Streams streams_{nullptr};
  // The connections a relay needs (ambassador, clients, circuits' ends) are protected from the
  // host's trimming and idle closing; sync_protection() keeps the tags equal to that set.
  butter::Connections conns_{nullptr};
  std::set<std::string> protected_;
  std::string advertised_;
  bool dialer_registered_ = false;
  Verdict verdict_{2};

  // reachability state
  std::map<std::string, bool> asking_;  // peers with a dial-back request out
  struct PeerStatus {
    StatusMessage status;
    std::uint64_t at_ms = 0;
  };
  std::map<std::string, PeerStatus> statuses_;
  struct ProbeJob {
    std::string from, observed;
    std::vector<std::uint8_t> reached;
    std::size_t left = 0;
    butter::Reply reply;
  };
  struct PortProbe {
    int fd = -1;
    butter::FdWatch watch;
    butter::Timer timer;
  };
  std::map<std::uint64_t, ProbeJob> jobs_;
  std::map<std::pair<std::uint64_t, std::size_t>, PortProbe> port_probes_;
  std::set<std::string> probing_from_;  // requesters with a job in flight (one each)
  std::uint64_t next_job_ = 1;
  std::size_t max_jobs_ = 8;

  // relay state
  std::map<std::uint64_t, HostStream> host_streams_;                          // by host stream id
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> inbound_;    // (amb, relay id) -> host id
  std::map<std::uint64_t, Relayed> relayed_;                                  // by relay id (ambassador)
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> by_origin_;  // (origin, stream) -> relay id
  std::map<std::string, std::uint64_t> clients_;                              // client id -> since ms
  std::uint64_t next_relay_ = 1;
  std::string captured_;

  // ambassador (client side)
  std::string ambassador_, relay_endpoint_, registering_;
  std::map<std::string, std::uint64_t> excluded_;  // id -> until ms
  std::uint64_t moves_ = 0;
  bool moves_pending_ = false;  // the last ambassador failed: the next one counts as a move

  // direct upgrade (hole punching)
  const butter_punch_v1* punch_ = nullptr;   // null: the host cannot punch
  const butter_punch_v2* punch2_ = nullptr;  // null: no spread (a host before butter.punch/2)
  std::uint32_t spread_sockets_ = 4, spread_guesses_ = 4;
  bool punch_enabled_ = true;
  unsigned observed_quorum_ = 2;
  std::chrono::milliseconds punch_window_{5000}, punch_backoff_{2000}, upgrade_every_{1000};
  unsigned punch_attempts_max_ = 4;
  ObservedAddresses observed_{2, 10 * 60 * 1000};
  PunchHistory history_{30 * 60 * 1000};     // which own addresses punched; outcomes kept 30 min
  std::map<std::string, Upgrade> upgrades_;  // by peer; at most kMaxUpgrades, dropped when it goes
  std::map<std::string, Offer> offers_;      // by initiator; at most kMaxUpgrades, expire
  std::map<std::uint64_t, std::unique_ptr<PunchCall>> punch_calls_;
  std::uint64_t next_punch_call_ = 1;
  static constexpr std::size_t kMaxUpgrades = 64;

  butter::Timer check_timer_, keep_timer_, status_timer_, sweep_timer_, upgrade_timer_;

  butter::Counter dialbacks_asked_ = metrics().counter("nat_dialbacks_requested_total");
  butter::Counter dialbacks_served_ = metrics().counter("nat_dialbacks_served_total");
  butter::Counter dialbacks_refused_ = metrics().counter("nat_dialbacks_refused_total");
  butter::Counter dialback_ok_ = metrics().counter("nat_dialback_reached_total");
  butter::Counter dialback_fail_ = metrics().counter("nat_dialback_unreached_total");
  butter::Counter verdict_changes_ = metrics().counter("nat_verdict_changes_total");
  butter::Gauge verdict_gauge_ = metrics().gauge("nat_verdict");  // 0 unknown, 1 public, 2 private
  butter::Counter relayed_bytes_ = metrics().counter("nat_relayed_bytes_total");
  butter::Counter relayed_streams_ = metrics().counter("nat_relayed_connections_total");
  butter::Counter limit_hits_ = metrics().counter("nat_limit_hits_total");
  butter::Counter malformed_ = metrics().counter("nat_malformed_total");
  butter::Counter moves_total_ = metrics().counter("nat_ambassador_moves_total");
  butter::Counter registrations_ = metrics().counter("nat_ambassadors_acquired_total");  // as a client
  butter::Counter clients_accepted_ = metrics().counter("nat_clients_accepted_total");   // as an ambassador
  butter::Counter inbound_total_ = metrics().counter("nat_inbound_streams_total");
  butter::Gauge clients_gauge_ = metrics().gauge("nat_clients");
  butter::Counter punch_attempts_ = metrics().counter("nat_punch_attempts_total");
  butter::Counter punch_successes_ = metrics().counter("nat_punch_successes_total");
  butter::Counter punch_failures_ = metrics().counter("nat_punch_failures_total");
  // Punches that would have spread but went without: no IP vouched for the peer's address.
  butter::Counter spread_withheld_ = metrics().counter("nat_punch_spread_withheld_total");
  // Failures by reason, one counter each (they sum to nat_punch_failures_total).
  std::map<std::string, butter::Counter> punch_failed_by_reason_;
  butter::Gauge punch_last_ms_ = metrics().gauge("nat_punch_last_success_ms");  // relayed -> direct
};

}  // namespace butter::nat
