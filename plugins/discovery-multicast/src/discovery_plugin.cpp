// Discovery's lifecycle and datagrams (discovery_plugin.hpp): the two sockets, the ping schedule, and
// what a heard beacon becomes (a candidate for the known-host cache, and perhaps an answer).
#include "discovery_plugin.hpp"

#include "interface_subnets.hpp"

#include <butter/iface/peers.h>

#include <algorithm>
#include <limits>

namespace butter::discovery {

void Discovery::init() {
  self_ = std::string(node().id());
  // Defaults and ranges are declared once, in the schema (plugin_entry.cpp); the checks below keep
  // what a schema cannot say (exclusive float bounds, one key against another) and guard the
  // casts on a host that enforces no ranges (older than ABI 1.3).
  group_ = config().get_string("group");
  const std::int64_t port = config().get_int("port");
  iface_ = config().get_string("interface");
  const std::int64_t ttl = config().get_int("ttl");
  constexpr auto kAbove = butter::Config::Open::Min;  // a rate > 0
  const std::int64_t fast = config().get_int("fast_ms");
  const std::int64_t slow = config().get_int("slow_ms");
  const double answers = config().get_float_in("answers_per_s", 0, 1e6, kAbove);
  const std::int64_t quiet = config().get_int("quiet_ms");
  loop_ = config().get_bool("loopback");
  const double per_s = config().get_float_in("max_datagrams_per_second", 0, 1e6, kAbove);
  const double per_sender = config().get_float("max_datagrams_per_second_per_sender");
  const std::int64_t senders = config().get_int("max_datagram_senders");
  if (slow < fast) throw butter::Error(BUTTER_E_INVALID, "need 0 < fast_ms <= slow_ms");
  if (!(per_sender > 0) || per_sender > per_s)
    throw butter::Error(BUTTER_E_INVALID,
                        "max_datagrams_per_second_per_sender must be > 0 and <= max_datagrams_per_second");
  port_ = static_cast<std::uint16_t>(port);
  ttl_ = static_cast<int>(ttl);
  schedule_.emplace(static_cast<std::uint64_t>(fast), static_cast<std::uint64_t>(slow));
  policy_.emplace(answers, static_cast<std::uint64_t>(quiet));
  BudgetLimits limits;
  limits.per_second = per_s;
  limits.burst = 2 * per_s;  // two seconds' worth: a crowd joining at once, then the rate
  limits.per_sender_per_second = per_sender;
  limits.per_sender_burst = 2 * per_sender;
  limits.max_senders = static_cast<std::size_t>(senders);
  budget_.emplace(limits);
}

void Discovery::start() {
  butter::DatagramOptions group;
  group.bind_address = group_;  // binding the group address filters out other groups' traffic
  group.port = port_;
  group.reuse_address = true;
  group.multicast_group = group_;
  group.multicast_interface = iface_;
  group.multicast_ttl = ttl_;
  group.multicast_loop = loop_;
  group.max_datagram = 2048;
  group_socket_ = datagram().open(group, [this](const butter::Datagram& d) { heard(d); });

  butter::DatagramOptions own;
  own.bind_address = iface_.empty() ? "0.0.0.0" : iface_;
  own.port = 0;
  own.multicast_interface = iface_;
  own.multicast_ttl = ttl_;
  own.multicast_loop = loop_;
  own.max_datagram = 2048;
  own_socket_ = datagram().open(own, [this](const butter::Datagram& d) { heard(d); });

  if (events().available()) {
    isolated_sub_ = events().subscribe(BUTTER_PEERS_TOPIC_REMOVED, [this](std::string_view, butter::Bytes) {
      if (schedule_->became_isolated(peers_known())) ping_now();
    });
  }
  log().info("discovering on {}:{} via {} (ttl {})", group_, port_, iface_.empty() ? "default interface" : iface_,
             ttl_);
  read_lan();
  ping_now();
}

void Discovery::stop() {
  ping_timer_.cancel();
  isolated_sub_.unsubscribe();
}

std::size_t Discovery::peers_count() const {
  auto peers = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS);
  return peers ? peers->count(peers.provider()) : 0;
}

bool Discovery::knows(const std::string& id) const {
  auto peers = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS);
  if (!peers) return false;
  return peers->lookup(
             peers.provider(), butter::to_c(id), [](void*, const butter_peer_record*) {}, nullptr) == BUTTER_OK;
}

Beacon Discovery::own_beacon(BeaconKind kind) const {
  Beacon b;
  b.kind = kind;
  b.node_id = self_;
  std::size_t known = peers_count();
  b.cold = known == 0;
  b.hosts_known = static_cast<std::uint16_t>(std::min<std::size_t>(known, 65535));
  b.endpoints = node().endpoints();
  return b;
}

void Discovery::send(const Beacon& b, std::string_view address, std::uint16_t port) {
  auto bytes = encode_beacon(b);
  butter::Status s = own_socket_.send_to(address, port, bytes);
  if (!s) {
    send_errors_.add();
    log().debug("send to {}:{} failed: {}", address, port, s.message());
    return;
  }
  bytes_sent_.add(bytes.size());
}

void Discovery::ping_now() {
  ping_timer_.cancel();
  ping_timer_ = after(std::chrono::milliseconds(0), [this] { ping(); });
}

void Discovery::ping() {
  send(own_beacon(BeaconKind::Ping), group_, port_);
  pings_.add();
  senders_.set(static_cast<double>(budget_->senders()));
  std::uint64_t delay = schedule_->next_delay(peers_known());
  ping_timer_ = after(std::chrono::milliseconds(delay), [this] { ping(); });
}

// The cheap path: every datagram is charged to its source address and to the node's budget
// before anything else is done with it.
bool Discovery::within_budget(const butter::Datagram& d) {
  auto now_ms = static_cast<std::uint64_t>(now().count());
  // A sender is an address and port: each node sends every beacon from its own socket, so
  // several nodes on one host (or behind one NAT) are each held to their own rate. A flooder
  // that changes ports is still held by the node's total budget.
  Shed shed = budget_->admit(std::string(d.from_address) + ":" + std::to_string(d.from_port), now_ms);
  if (shed == Shed::Sender) shed_sender_.add();
  if (shed == Shed::Global) shed_budget_.add();
  if (auto r = budget_->report(now_ms)) {
    const BudgetLimits& l = budget_->limits();
    if (r->first) {
      log().warn(
          "shedding datagrams from {}: {} (max_datagrams_per_second{} = {}); further shedding is "
          "summarised every {} s",
          r->top_sender, r->by_sender ? "over its own rate" : "the node's budget is spent",
          r->by_sender ? "_per_sender" : "", r->by_sender ? l.per_sender_per_second : l.per_second, l.report_ms / 1000);
    } else {
      log().warn(
          "shed {} datagrams in the last {} ms ({} over a sender's rate, {} over the node's budget); most from {} "
          "({})",
          r->by_sender + r->by_budget, r->since_ms, r->by_sender, r->by_budget, r->top_sender, r->top_count);
    }
    senders_.set(static_cast<double>(budget_->senders()));
  }
  return shed == Shed::None;
}

// The subnets are read at start and again, at most once a second, when an address outside them
// asks: an interface renumbered (DHCP) or brought up since is then seen, and a flood of PINGs from
// outside costs one getifaddrs a second.
bool Discovery::on_lan(const std::string& from) {
  if (lan_.contains(from)) return true;
  if (static_cast<std::uint64_t>(now().count()) - lan_read_ms_ < 1000) return false;
  read_lan();
  return lan_.contains(from);
}

void Discovery::read_lan() {
  lan_read_ms_ = static_cast<std::uint64_t>(now().count());
  std::vector<Subnet> subnets = interface_subnets(iface_);
  if (lan_read_ && subnets == lan_.subnets()) return;  // logged at start and when they change
  lan_read_ = true;
  std::string list;
  for (const auto& s : subnets) list += to_string(s) + ", ";
  if (subnets.empty()) {
    log().warn("no IPv4 subnet found on {}: PINGs are answered from loopback only",
               iface_.empty() ? "any interface" : "the interface of " + iface_);
  } else {
    log().info("answering PINGs from {}and loopback", list);
  }
  lan_.set(std::move(subnets));
}

void Discovery::heard(const butter::Datagram& d) {
  received_.add();
  bytes_received_.add(d.data.size());
  if (!within_budget(d)) return;
  std::string why;
  auto b = decode_beacon(d.data.data(), d.data.size(), why);
  if (!b) {
    malformed_.add();
    log().debug("dropped datagram from {}:{}: {}", d.from_address, d.from_port, why);
    return;
  }
  if (b->node_id == self_) return;  // our own multicast, looped back
  std::string from(d.from_address);
  // An endpoint on an unspecified address means "wherever you reached me from".
  for (auto& ep : b->endpoints) {
    for (const char* any : {"tcp://0.0.0.0:", "tcp://[::]:"}) {
      if (ep.rfind(any, 0) == 0) ep = "tcp://" + from + ":" + ep.substr(std::string_view(any).size());
    }
  }
  bool known_before = knows(b->node_id);
  if (auto peers = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS)) {
    std::vector<butter_str> eps;
    for (const auto& e : b->endpoints) eps.push_back(butter::to_c(e));
    peers->add_candidate(peers.provider(), butter::to_c(b->node_id), eps.data(), static_cast<std::uint32_t>(eps.size()),
                         butter::to_c("multicast"));
  }
  if (b->kind != BeaconKind::Ping) return;
  // Only a source that could be on the LAN is answered by unicast, whichever socket heard it
  // (lan_scope.hpp): anything else is a forged address or a stranger off the LAN, and the answer
  // would go there. It may still get the multicast ANNOUNCE (one per quiet period, whoever asks),
  // which goes only where our own beacons go: with `ttl` > 1 (multicast routed between subnets on
  // purpose) that is how a node on another subnet is answered.
  const bool lan = on_lan(from);
  if (!lan) {
    off_lan_.add();
    log().debug("PING from {}:{} not on the LAN: answered by multicast only", from, d.from_port);
  }
  // The PONG that may answer: as many of our endpoints as fit in kAnswerFactor times the PING
  // (beacon.hpp), since it goes wherever the PING says it came from. One that would carry none of
  // them is not sent; the LAN-only ANNOUNCE answers instead.
  Beacon pong = own_beacon(BeaconKind::Pong);
  const bool have_endpoints = !pong.endpoints.empty();
  pong.endpoints = endpoints_within(pong, kAnswerFactor * d.data.size());
  const bool may_unicast = lan && (!have_endpoints || !pong.endpoints.empty());
  // Keyed on the source address, where a PONG would go, not on the claimed id (schedule.hpp).
  switch (policy_->on_ping(from, b->cold, known_before, static_cast<std::uint64_t>(now().count()), may_unicast)) {
    case Answer::Unicast:
      send(pong, from, d.from_port);
      pongs_.add();
      break;
    case Answer::Announce:
      send(own_beacon(BeaconKind::Announce), group_, port_);
      announces_.add();
      break;
    case Answer::None:
      suppressed_.add();
      break;
  }
}

}  // namespace butter::discovery
