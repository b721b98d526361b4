// Upgrader (upgrader.hpp): a relayed connection replaced by a direct one through both NATs
// (DCUtR-like).
//
// Policy only; the mechanism (simultaneous open from the listen port, Noise roles by node id,
// swapping the relayed connection for the punched one without losing a message) is the host's
// butter.punch/1. Every upgrade_every, for each peer reached through a relay, the side with the
// smaller node id (the initiator) starts, unless a punch to it runs or its backoff has not passed:
//   1. initiator -> peer, over the relayed connection: Connect(its punchable addresses), a request;
//      the peer answers Connect(its own) and keeps the initiator's addresses for a while;
//   2. the initiator measured the round trip of that exchange (shown in /nat): it sends Sync and
//      punches at once; the peer punches as Sync arrives, half a relayed round trip later. The
//      initiator going first on purpose: its SYN reaches a filtering NAT before the peer's mapping
//      is open and is dropped, but it opens its own NAT's mapping, through which the peer's SYN
//      then gets to its socket (a simultaneous open); and where nothing filters (two nodes on one
//      LAN, their private addresses) its SYN reaches the peer's listener before the peer punches,
//      the one order the host turns into the punch's connection (larger id answering). DCUtR's
//      "both at the same moment" left that order to chance on a LAN;
//   3. the host reports the outcome; on failure the next try waits punch_backoff_ms, doubled
//      each time (at most 60 s), and after punch_attempts tries the pair stays relayed.
// The responder holds to the same attempts and backoff per peer (a peer picks the addresses it
// makes this node send SYNs to: at most 4, one punch at a time, punch_attempts in all).
// Punchable addresses are the public IPs confirmed by observed_quorum distinct peers (their
// dial-back answers, observed.hpp) with this node's listen port: a port-preserving NAT maps the
// listen port, from which the host punches, to the same port outside. The Connect offer adds the
// node's own listen addresses (its LAN addresses when behind NAT): two nodes behind the same NAT
// reach each other there, hairpinning or not. Addresses a peer offers that are this node's own
// (the same NAT's public address and port, seen by both) are not punched at. Relay stays the fallback:
// nothing here closes the relayed connection; the host does once the direct one carries traffic.
// Random ("symmetric") mappings: with butter.punch/2 each punch also opens punch_spread_sockets
// more sockets from distinct local ports to the peer's public address (a random-mapping NAT
// opens a mapping for each) and sends punch_spread_guesses SYNs from the listen port to random
// ports of the peer's public IP (one may hit a mapping the peer's sockets opened): the birthday
// attempt, eim x random. Its odds are about (sockets + 1) x guesses / 64512 per punch: the
// defaults (4 and 4) keep each punch to a handful of sockets and rarely succeed; see the README.
// The addresses a peer offers are its claims, so a hostile peer could name a third party: the
// spread goes only to an IP the ambassador relaying the circuit saw the peer connect from
// (vouch.cpp, punch_plan.hpp), loopback, unspecified, multicast and broadcast addresses are never
// punched at, and the host's punch budget bounds the SYNs per destination IP and node-wide.
#include "json_answer.hpp"
#include "upgrader.hpp"

#include <algorithm>
#include <utility>

namespace butter::nat {

namespace {
std::uint64_t ms_of(std::chrono::milliseconds d) { return static_cast<std::uint64_t>(d.count()); }

// How long a first punch waits for the circuit's ambassador to vouch for the peer's IP.
constexpr std::uint64_t kVouchWaitMs = 2000;

// The first word of a host reason ("timeout: ..." -> "timeout"), as a metric name part.
std::string reason_word(std::string_view reason) {
  std::string w;
  for (char c : reason) {
    if (!((c >= 'a' && c <= 'z') || c == '-')) break;
    w += c == '-' ? '_' : c;
    if (w.size() >= 24) break;
  }
  return w.empty() ? std::string("other") : w;
}
}  // namespace

Upgrader::Upgrader(NatPort& port, const butter_host* host, const PunchExtensions& punch, const PunchConfig& config,
                   const std::chrono::milliseconds& request_timeout, const std::string& self,
                   const ObservedAddresses& observed, PortMapping& mapping, const butter::Metrics& metrics, Links links)
    : port_(port),
      host_(host),
      punch_(punch),
      config_(config),
      request_timeout_(request_timeout),
      self_(self),
      observed_(observed),
      mapping_(mapping),
      metrics_source_(metrics),
      links_(std::move(links)),
      metrics_(metrics) {}

void Upgrader::start() {
  timer_ = port_.every(config_.every, [this] { tick(); });
}

void Upgrader::stop() {
  timer_.cancel();
  upgrades_.by_peer.clear();  // the host drops punch callbacks of a stopped instance
  upgrades_.offers.clear();
}

void Upgrader::forget(const std::string& peer) {
  upgrades_.forget(peer);  // a relayed peer that comes back starts afresh
  vouched_.forget(peer);   // its next circuit is vouched for afresh
}

std::vector<std::string> Upgrader::punchable_addresses() const {
  std::vector<std::string> out;
  const auto ports = links_.own_ports();
  if (ports.empty()) return out;
  for (const auto& ip : observed_.confirmed(port_.now_ms())) {
    if (out.size() >= kMaxPunchAddresses) break;
    const bool v6 = ip.find(':') != std::string::npos;
    out.push_back("tcp://" + (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(ports.front()));
  }
  return out;
}

std::vector<std::string> Upgrader::lan_addresses() const {
  std::vector<std::string> out;
  for (const auto& ep : port_.endpoints()) {
    std::string host;
    std::uint16_t port = 0;
    if (!split_tcp_endpoint(ep, host, port) || port == 0 || !numeric_ip(host) || unspecified_host(host)) continue;
    if (host.rfind("127.", 0) == 0 || host == "::1") continue;  // this machine only: useless to a peer
    const bool v6 = host.find(':') != std::string::npos;
    std::string a = "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    if (a.size() <= kMaxPunchAddressBytes && std::find(out.begin(), out.end(), a) == out.end())
      out.push_back(std::move(a));
  }
  return out;
}

std::vector<std::string> Upgrader::own_candidates() const {
  auto out = punchable_addresses();
  for (auto& a : lan_addresses())
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
  return out;
}

ConnectMessage Upgrader::own_connect() const {
  return ConnectMessage{offered_addresses(), mapping_.verdict(port_.now_ms()) == Mapping::Varies};
}

std::vector<std::string> Upgrader::offered_addresses() const {
  auto out = upgrades_.history.prefer(own_candidates(), port_.now_ms());
  if (out.size() > kMaxPunchAddresses) out.resize(kMaxPunchAddresses);
  return out;
}

void Upgrader::learn_outcome(const std::string& peer, const std::vector<std::string>& offered, bool ok) {
  const auto t = port_.now_ms();
  if (!ok) {
    for (const auto& a : offered) upgrades_.history.failed(a, t);
    return;
  }
  // Which of the offered addresses punched: the punched connection's far end is one of the
  // peer's listen addresses (its HELLO's endpoints) when it went over a LAN, so ours was a LAN
  // address too; otherwise it went through the NATs, from our public address.
  bool over_lan = false;
  for (const auto& p : port_.peers())
    if (p.node_id == peer)
      over_lan = std::find(p.endpoints.begin(), p.endpoints.end(), p.remote_address) != p.endpoints.end();
  const auto lan = lan_addresses();
  for (const auto& a : offered) {
    const bool is_lan = std::find(lan.begin(), lan.end(), a) != lan.end();
    if (is_lan == over_lan) upgrades_.history.succeeded(a, t);
  }
}

std::vector<std::string> Upgrader::usable_peer_addresses(const std::vector<std::string>& theirs) const {
  const auto mine = own_candidates();
  std::vector<std::string> out;
  for (const auto& a : theirs)
    if (punchable_address(a) && std::find(mine.begin(), mine.end(), a) == mine.end()) out.push_back(a);
  return out;
}

bool Upgrader::relayed(const std::string& peer) const {
  if (!punch_.v1) return false;
  butter_punch_path path{};
  path.struct_size = sizeof path;
  if (punch_.v1->path(host_, butter::to_c(peer), &path) != BUTTER_OK) return false;
  return path.how != BUTTER_PATH_NONE && path.relayed;
}

void Upgrader::tick() {
  if (!punch_.v1 || !config_.enabled) return;
  const auto t = port_.now_ms();
  upgrades_.expire_offers(t);
  for (const auto& p : port_.peers()) {
    if (!(self_ < p.node_id) || !relayed(p.node_id)) continue;
    auto found = upgrades_.by_peer.find(p.node_id);
    if (found == upgrades_.by_peer.end()) {
      if (upgrades_.by_peer.size() >= Upgrades::kMax) continue;
      found = upgrades_.by_peer.emplace(p.node_id, Upgrades::Upgrade{}).first;
      found->second.seen_ms = t;
    }
    const Upgrades::Upgrade& u = found->second;
    if (u.running || u.attempts >= config_.attempts_max || t < u.next_try_ms) continue;
    // The spread goes only to a vouched IP, and the ambassador's answer (asked as the circuit
    // opened) is a round trip away: a first punch started before it would go without spread.
    if (config_.spreads() && punch_.v2 && vouched_.ip_of(p.node_id).empty() && t < u.seen_ms + kVouchWaitMs) continue;
    start_upgrade(p.node_id);
  }
}

void Upgrader::start_upgrade(const std::string& peer) {
  auto& u = upgrades_.by_peer[peer];
  u.begin(port_.now_ms());
  metrics_.attempts.add();
  auto mine = own_connect();
  u.offered = mine.addresses;
  if (mine.addresses.empty()) return upgrade_failed(peer, "no-address");
  const std::uint64_t sent = u.started_ms;
  auto st = port_.request(peer, kNatProtocol, encode_connect(mine), request_timeout_,
                          [this, peer, sent](const butter::Response& r) { on_connect_answer(peer, sent, r); });
  if (!st) upgrade_failed(peer, "exchange");
}

void Upgrader::on_connect_answer(const std::string& peer, std::uint64_t sent_ms, const butter::Response& r) {
  auto it = upgrades_.by_peer.find(peer);
  if (it == upgrades_.by_peer.end() || !it->second.running) return;
  if (!r.ok()) return upgrade_failed(peer, "exchange");
  std::string why;
  auto theirs = decode_connect(r.bytes().data(), r.bytes().size(), why);
  if (!theirs) {
    port_.malformed();
    port_.log().debug("malformed connect answer from {}: {}", peer.substr(0, 8), why);
    return upgrade_failed(peer, "exchange");
  }
  auto addresses = usable_peer_addresses(theirs->addresses);
  if (addresses.empty()) return upgrade_failed(peer, "peer-no-address");
  it->second.rtt_ms = port_.now_ms() - sent_ms;
  // Sync, and punch at once: the peer punches when Sync reaches it (see the top of this file).
  if (!port_.send(peer, kNatProtocol, encode_sync())) return upgrade_failed(peer, "exchange");
  punch_now(peer, addresses, theirs->mapping_varies);
}

void Upgrader::on_connect(const std::string& from, const ConnectMessage& m, butter::Reply& reply) {
  if (!punch_.v1 || !config_.enabled) return reply.fail(BUTTER_E_UNSUPPORTED, "this node does not punch");
  if (!relayed(from)) return reply.fail(BUTTER_E_INVALID, "not connected through a relay");
  if (!upgrades_.offers.count(from) && upgrades_.offers.size() >= Upgrades::kMax)
    return reply.fail(BUTTER_E_AGAIN, "too many upgrades");
  // The peer chooses where this node sends SYNs: the same attempts and backoff bound it as when
  // this node initiates, so a peer cannot turn it into a SYN source at will.
  if (auto u = upgrades_.by_peer.find(from); u != upgrades_.by_peer.end()) {
    if (u->second.running) return reply.fail(BUTTER_E_AGAIN, "a punch to you is running");
    if (u->second.attempts >= config_.attempts_max) return reply.fail(BUTTER_E_AGAIN, "no more punches to you");
    if (port_.now_ms() < u->second.next_try_ms) return reply.fail(BUTTER_E_AGAIN, "backing off");
  }
  auto usable = usable_peer_addresses(m.addresses);
  if (usable.empty()) return reply.fail(BUTTER_E_INVALID, "none of your addresses is usable from here");
  auto mine = own_connect();
  upgrades_.offers[from] = Upgrades::Offer{std::move(usable), m.mapping_varies, mine.addresses,
                                           port_.now_ms() + ms_of(request_timeout_) * 2};
  reply.ok(encode_connect(mine));
}

void Upgrader::on_sync(const std::string& from) {
  auto it = upgrades_.offers.find(from);
  if (it == upgrades_.offers.end()) return;  // no Connect answered (or it expired): nothing to punch
  auto addresses = std::move(it->second.addresses);
  auto offered = std::move(it->second.offered);
  const bool peer_varies = it->second.peer_varies;
  upgrades_.offers.erase(it);
  if (addresses.empty()) return;
  auto& u = upgrades_.by_peer[from];
  if (u.running) return;
  if (upgrades_.by_peer.size() > Upgrades::kMax) {
    upgrades_.by_peer.erase(from);
    return;
  }
  u.begin(port_.now_ms());
  u.offered = std::move(offered);
  metrics_.attempts.add();
  punch_now(from, addresses, peer_varies);
}

void Upgrader::punch_now(const std::string& peer, const std::vector<std::string>& addresses_in, bool peer_varies) {
  auto it = upgrades_.by_peer.find(peer);
  if (it == upgrades_.by_peer.end() || !it->second.running) return;
  auto& u = it->second;
  // The peer's addresses are its claims: the spread (the host's extra sockets, over the first
  // address only) goes first to an address at the IP the circuit's ambassador vouches for, and
  // nowhere without one (punch_plan.hpp); then its other public addresses, then its listen ones.
  std::vector<std::string> listen;
  for (const auto& p : port_.peers())
    if (p.node_id == peer) listen = p.endpoints;
  const PunchPlan plan = plan_punch(addresses_in, listen, vouched_.ip_of(peer));
  const auto& addresses = plan.addresses;
  if (addresses.empty()) return upgrade_failed(peer, "peer-no-address");
  // How wide: the configured spread, and the birthday attempt where exactly one NAT varies ports.
  const SpreadSize base{config_.spread_sockets, config_.spread_guesses};
  const SpreadSize width =
      spread_for(mapping_.verdict(port_.now_ms()), peer_varies ? Mapping::Varies : Mapping::Unknown, base,
                 {config_.hard_sockets, config_.hard_guesses});
  u.peer_varies = peer_varies;
  const bool want_spread = punch_.v2 && (width.sockets > 0 || width.guesses > 0);
  const bool spread = want_spread && plan.spread;
  u.sockets = spread ? width.sockets : 0;
  u.guesses = spread ? width.guesses : 0;
  if (spread && !(width == base)) metrics_.birthday.add();
  if (want_spread && !spread) {
    metrics_.spread_withheld.add();
    port_.log().debug("punch to {} without spread: no address of it at an IP its ambassador vouches for",
                      peer.substr(0, 8));
  }
  std::vector<butter_str> eps;
  for (const auto& a : addresses) eps.push_back(butter::to_c(a));
  auto call = std::make_unique<Upgrades::PunchCall>(Upgrades::PunchCall{this, peer, upgrades_.next_call++});
  Upgrades::PunchCall* raw = call.get();
  butter_status st = BUTTER_OK;
  if (spread) {
    butter_punch_options o{};
    o.struct_size = sizeof o;
    o.window_ms = static_cast<uint32_t>(config_.window.count());
    o.local_sockets = width.sockets;
    o.remote_guesses = width.guesses;
    st = punch_.v2->punch_spread(host_, butter::to_c(peer), eps.data(), static_cast<uint32_t>(eps.size()), &o,
                                 &Upgrader::punch_callback, raw);
  } else {
    st = punch_.v1->punch(host_, butter::to_c(peer), eps.data(), static_cast<uint32_t>(eps.size()),
                          static_cast<uint32_t>(config_.window.count()), &Upgrader::punch_callback, raw);
  }
  if (st != BUTTER_OK) return upgrade_failed(peer, "unusable");
  upgrades_.calls.emplace(raw->id, std::move(call));
}

void Upgrader::punch_callback(void* user, butter_status st, butter_str reason) {
  auto* call = static_cast<Upgrades::PunchCall*>(user);
  Upgrader* self = call->self;
  const std::string peer = call->peer;
  self->upgrades_.calls.erase(call->id);  // `call` is gone from here on
  self->punch_finished(peer, st, std::string_view(reason.data ? reason.data : "", reason.data ? reason.len : 0));
}

void Upgrader::punch_finished(const std::string& peer, butter_status st, std::string_view reason) {
  auto it = upgrades_.by_peer.find(peer);
  if (it == upgrades_.by_peer.end()) return;
  if (st != BUTTER_OK) return upgrade_failed(peer, reason_word(reason));
  auto& u = it->second;
  const auto took = port_.now_ms() - u.started_ms;
  u.succeeded();
  learn_outcome(peer, u.offered, true);
  metrics_.successes.add();
  metrics_.last_success_ms.set(static_cast<double>(took));
  port_.log().info("direct connection to {} (hole punched in {} ms); the relay closes once drained", peer.substr(0, 8),
                   took);
}

void Upgrader::upgrade_failed(const std::string& peer, const std::string& reason) {
  auto it = upgrades_.by_peer.find(peer);
  if (it == upgrades_.by_peer.end()) return;
  auto& u = it->second;
  const std::uint64_t wait = u.failed(reason, port_.now_ms(), ms_of(config_.backoff));
  // Only a punch that ran says something about our addresses (not a failed exchange, say).
  if (reason != "exchange" && reason != "no-address" && reason != "peer-no-address" && reason != "busy")
    learn_outcome(peer, u.offered, false);
  metrics_.failures.add();
  auto& by_reason = metrics_.failed_by_reason;
  auto c = by_reason.find(reason);
  if (c == by_reason.end() && by_reason.size() < 16)
    c = by_reason.emplace(reason, metrics_source_.counter("nat_punch_failed_" + reason + "_total")).first;
  if (c != by_reason.end()) c->second.add();
  port_.log().debug("direct upgrade to {} failed ({}); attempt {} of {}, next in {} ms", peer.substr(0, 8), reason,
                    u.attempts, config_.attempts_max, wait);
}

// /nat's "punch" object (README, HTTP).
Json Upgrader::punch_json() const {
  const auto t = port_.now_ms();
  auto ago = [t](std::uint64_t at_ms) { return at_ms ? Json(t - at_ms) : Json(nullptr); };
  Json j = Json::object();
  j["enabled"] = punch_.v1 && config_.enabled;
  Json spread = Json::object();
  spread["available"] = punch_.v2 != nullptr;
  spread["sockets"] = config_.spread_sockets;
  spread["guesses"] = config_.spread_guesses;
  spread["hard_sockets"] = config_.hard_sockets;
  spread["hard_guesses"] = config_.hard_guesses;
  j["spread"] = std::move(spread);
  j["mapping"] = mapping_name(mapping_.verdict(t));
  j["mapping_votes"] = mapping_.votes(t);
  j["addresses"] = punchable_addresses();
  j["offered"] = offered_addresses();
  Json learned = Json::array();
  for (const auto& [a, e] : upgrades_.history.entries(t)) {
    Json l = Json::object();
    l["address"] = a;
    l["successes"] = e.successes;
    l["failures"] = e.failures;
    l["last_success_ago_ms"] = ago(e.last_success_ms);
    l["last_failure_ago_ms"] = ago(e.last_failure_ms);
    learned.push_back(std::move(l));
  }
  j["learned"] = std::move(learned);
  j["observed"] = observed_.size();
  Json upgrades = Json::array();
  for (const auto& [peer, u] : upgrades_.by_peer) {
    Json one = Json::object();
    one["peer"] = peer;
    one["attempts"] = u.attempts;
    one["running"] = u.running;
    one["last"] = u.last;
    one["rtt_ms"] = u.rtt_ms;
    one["peer_mapping"] = u.peer_varies ? "varies" : "keeps-or-unknown";
    one["sockets"] = u.sockets;  // the spread of the last punch
    one["guesses"] = u.guesses;
    one["vouched_ip"] = string_or_null(vouched_.ip_of(peer));
    one["next_try_in_ms"] = u.next_try_ms > t ? u.next_try_ms - t : 0;
    upgrades.push_back(std::move(one));
  }
  j["upgrades"] = std::move(upgrades);
  return j;
}

}  // namespace butter::nat
