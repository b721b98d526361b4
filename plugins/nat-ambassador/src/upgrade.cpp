// Direct upgrade: a relayed connection replaced by a direct one through both NATs (DCUtR-like).
//
// Policy only; the mechanism (simultaneous open from the listen port, Noise roles by node id,
// swapping the relayed connection for the punched one without losing a message) is the host's
// butter.punch/1. Every upgrade_every, for each peer reached through a relay, the side with the
// smaller node id (the initiator) starts, unless a punch to it runs or its backoff has not passed:
//   1. initiator -> peer, over the relayed connection: Connect(its punchable addresses), a request;
//      the peer answers Connect(its own) and keeps the initiator's addresses for a while;
//   2. the initiator measured the round trip of that exchange: it sends Sync and punches after
//      half of it; the peer punches as Sync arrives, so both SYNs leave at about the same moment;
//   3. the host reports the outcome; on failure the next try waits punch_backoff_ms, doubled
//      each time (at most 60 s), and after punch_attempts tries the pair stays relayed.
// The responder holds to the same attempts and backoff per peer (a peer picks the addresses it
// makes this node send SYNs to: at most 4, one punch at a time, punch_attempts in all).
// Punchable addresses are the public IPs confirmed by observed_quorum distinct peers (their
// dial-back answers, observed.hpp) with this node's listen port: a port-preserving NAT maps the
// listen port, from which the host punches, to the same port outside. Relay stays the fallback:
// nothing here closes the relayed connection; the host does once the direct one carries traffic.
#include "nat_plugin.hpp"

#include <algorithm>

namespace butter::nat {

namespace {
std::uint64_t ms_of(std::chrono::milliseconds d) { return static_cast<std::uint64_t>(d.count()); }

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

std::vector<std::string> NatAmbassador::punchable_addresses() const {
  std::vector<std::string> out;
  const auto ports = own_ports();
  if (ports.empty()) return out;
  const auto now_ms = static_cast<std::uint64_t>(now().count());
  for (const auto& ip : observed_.confirmed(now_ms)) {
    if (out.size() >= kMaxPunchAddresses) break;
    const bool v6 = ip.find(':') != std::string::npos;
    out.push_back("tcp://" + (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(ports.front()));
  }
  return out;
}

bool NatAmbassador::relayed(const std::string& peer) const {
  if (!punch_) return false;
  butter_punch_path path{};
  path.struct_size = sizeof path;
  if (punch_->path(host(), butter::to_c(peer), &path) != BUTTER_OK) return false;
  return path.how != BUTTER_PATH_NONE && path.relayed;
}

void NatAmbassador::upgrade_tick() {
  if (!punch_ || !punch_enabled_) return;
  const auto t = static_cast<std::uint64_t>(now().count());
  for (auto it = offers_.begin(); it != offers_.end();) it = t > it->second.until_ms ? offers_.erase(it) : std::next(it);
  for (const auto& p : peers()) {
    if (!(self_ < p.node_id) || !relayed(p.node_id)) continue;
    auto found = upgrades_.find(p.node_id);
    if (found == upgrades_.end()) {
      if (upgrades_.size() >= kMaxUpgrades) continue;
      found = upgrades_.emplace(p.node_id, Upgrade{}).first;
    }
    const Upgrade& u = found->second;
    if (u.running || u.attempts >= punch_attempts_max_ || t < u.next_try_ms) continue;
    start_upgrade(p.node_id);
  }
}

void NatAmbassador::start_upgrade(const std::string& peer) {
  auto& u = upgrades_[peer];
  u.running = true;
  u.started_ms = static_cast<std::uint64_t>(now().count());
  ++u.attempts;
  punch_attempts_.add();
  auto mine = punchable_addresses();
  if (mine.empty()) return upgrade_failed(peer, "no-address");
  const std::uint64_t sent = u.started_ms;
  auto st = request(peer, kNatProtocol, encode_connect(mine), request_timeout_,
                    [this, peer, sent](const butter::Response& r) { on_connect_answer(peer, sent, r); });
  if (!st) upgrade_failed(peer, "exchange");
}

void NatAmbassador::on_connect_answer(const std::string& peer, std::uint64_t sent_ms, const butter::Response& r) {
  auto it = upgrades_.find(peer);
  if (it == upgrades_.end() || !it->second.running) return;
  if (!r.ok()) return upgrade_failed(peer, "exchange");
  std::string why;
  auto theirs = decode_connect(r.bytes().data(), r.bytes().size(), why);
  if (!theirs) {
    malformed_.add();
    log().debug("malformed connect answer from {}: {}", peer.substr(0, 8), why);
    return upgrade_failed(peer, "exchange");
  }
  if (theirs->empty()) return upgrade_failed(peer, "peer-no-address");
  const auto rtt = static_cast<std::uint64_t>(now().count()) - sent_ms;
  // Sync now; punch after half the round trip, when Sync reaches the peer (which punches then).
  if (!send(peer, kNatProtocol, encode_sync())) return upgrade_failed(peer, "exchange");
  auto addresses = *theirs;
  it->second.sync_timer =
      after(std::chrono::milliseconds(rtt / 2), [this, peer, addresses] { punch_now(peer, addresses); });
}

void NatAmbassador::on_connect(const std::string& from, const std::vector<std::string>& addresses,
                               butter::Reply& reply) {
  if (!punch_ || !punch_enabled_) return reply.fail(BUTTER_E_UNSUPPORTED, "this node does not punch");
  if (!relayed(from)) return reply.fail(BUTTER_E_INVALID, "not connected through a relay");
  if (!offers_.count(from) && offers_.size() >= kMaxUpgrades) return reply.fail(BUTTER_E_AGAIN, "too many upgrades");
  // The peer chooses where this node sends SYNs: the same attempts and backoff bound it as when
  // this node initiates, so a peer cannot turn it into a SYN source at will.
  if (auto u = upgrades_.find(from); u != upgrades_.end()) {
    if (u->second.running) return reply.fail(BUTTER_E_AGAIN, "a punch to you is running");
    if (u->second.attempts >= punch_attempts_max_) return reply.fail(BUTTER_E_AGAIN, "no more punches to you");
    if (static_cast<std::uint64_t>(now().count()) < u->second.next_try_ms) return reply.fail(BUTTER_E_AGAIN, "backing off");
  }
  offers_[from] = Offer{addresses, static_cast<std::uint64_t>(now().count()) + ms_of(request_timeout_) * 2};
  reply.ok(encode_connect(punchable_addresses()));
}

void NatAmbassador::on_sync(const std::string& from) {
  auto it = offers_.find(from);
  if (it == offers_.end()) return;  // no Connect answered (or it expired): nothing to punch
  auto addresses = std::move(it->second.addresses);
  offers_.erase(it);
  if (addresses.empty()) return;
  auto& u = upgrades_[from];
  if (u.running) return;
  if (upgrades_.size() > kMaxUpgrades) {
    upgrades_.erase(from);
    return;
  }
  u.running = true;
  u.started_ms = static_cast<std::uint64_t>(now().count());
  ++u.attempts;
  punch_attempts_.add();
  punch_now(from, addresses);
}

void NatAmbassador::punch_now(const std::string& peer, const std::vector<std::string>& addresses) {
  auto it = upgrades_.find(peer);
  if (it == upgrades_.end() || !it->second.running) return;
  std::vector<butter_str> eps;
  for (const auto& a : addresses) eps.push_back(butter::to_c(a));
  auto call = std::make_unique<PunchCall>(PunchCall{this, peer, next_punch_call_++});
  PunchCall* raw = call.get();
  const auto st = punch_->punch(host(), butter::to_c(peer), eps.data(), static_cast<uint32_t>(eps.size()),
                                static_cast<uint32_t>(punch_window_.count()), &NatAmbassador::punch_callback, raw);
  if (st != BUTTER_OK) return upgrade_failed(peer, "unusable");
  punch_calls_.emplace(raw->id, std::move(call));
}

void NatAmbassador::punch_callback(void* user, butter_status st, butter_str reason) {
  auto* call = static_cast<PunchCall*>(user);
  NatAmbassador* self = call->self;
  const std::string peer = call->peer;
  self->punch_calls_.erase(call->id);  // `call` is gone from here on
  self->punch_finished(peer, st, std::string_view(reason.data ? reason.data : "", reason.data ? reason.len : 0));
}

void NatAmbassador::punch_finished(const std::string& peer, butter_status st, std::string_view reason) {
  auto it = upgrades_.find(peer);
  if (it == upgrades_.end()) return;
  if (st != BUTTER_OK) return upgrade_failed(peer, reason_word(reason));
  auto& u = it->second;
  const auto took = static_cast<std::uint64_t>(now().count()) - u.started_ms;
  u.running = false;
  u.last = "direct";
  u.attempts = 0;
  punch_successes_.add();
  punch_last_ms_.set(static_cast<double>(took));
  log().info("direct connection to {} (hole punched in {} ms); the relay closes once drained", peer.substr(0, 8), took);
}

void NatAmbassador::upgrade_failed(const std::string& peer, const std::string& reason) {
  auto it = upgrades_.find(peer);
  if (it == upgrades_.end()) return;
  auto& u = it->second;
  u.running = false;
  u.last = reason;
  const unsigned shift = std::min(u.attempts > 0 ? u.attempts - 1 : 0u, 5u);
  const std::uint64_t wait = std::min<std::uint64_t>(ms_of(punch_backoff_) << shift, 60000);
  u.next_try_ms = static_cast<std::uint64_t>(now().count()) + wait;
  punch_failures_.add();
  auto c = punch_failed_by_reason_.find(reason);
  if (c == punch_failed_by_reason_.end() && punch_failed_by_reason_.size() < 16)
    c = punch_failed_by_reason_.emplace(reason, metrics().counter("nat_punch_failed_" + reason + "_total")).first;
  if (c != punch_failed_by_reason_.end()) c->second.add();
  log().debug("direct upgrade to {} failed ({}); attempt {} of {}, next in {} ms", peer.substr(0, 8), reason,
              u.attempts, punch_attempts_max_, wait);
}

std::string NatAmbassador::upgrade_json() const {
  const auto t = static_cast<std::uint64_t>(now().count());
  std::string j = "\"punch\":{\"enabled\":" + std::string(punch_ && punch_enabled_ ? "true" : "false");
  j += ",\"addresses\":[";
  bool first = true;
  for (const auto& a : punchable_addresses()) {
    j += (first ? "" : ",") + butter::json_string(a);
    first = false;
  }
  j += "],\"observed\":" + std::to_string(observed_.size()) + ",\"upgrades\":[";
  first = true;
  for (const auto& [peer, u] : upgrades_) {
    j += first ? "{" : ",{";
    first = false;
    j += "\"peer\":" + butter::json_string(peer) + ",\"attempts\":" + std::to_string(u.attempts);
    j += ",\"running\":" + std::string(u.running ? "true" : "false");
    j += ",\"last\":" + butter::json_string(u.last);
    j += ",\"next_try_in_ms\":" + std::to_string(u.next_try_ms > t ? u.next_try_ms - t : 0) + "}";
  }
  j += "]}";
  return j;
}

}  // namespace butter::nat
