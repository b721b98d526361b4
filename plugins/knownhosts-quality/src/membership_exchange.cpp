// MembershipEngine, the overlay: this node's signed peer record, the peer exchange (/butter/pex/1)
// that spreads records, and the neighbours that keep the overlay connected with a bounded active set.
//
// Cost per node does not grow with the network: one exchange per period with one neighbour, at
// most exchange_size records each way, at most a few dials at a time for neighbours. A first
// contact gets a full, quality-diverse sample (it must learn the network from us); after that a
// peer gets only what it has not had from us: our own record when it changed, and the news (new
// hosts, moved endpoints) we learned since (ExchangeLedger, RecordStore::news_since), each item
// to at most news_fanout peers and at most news_per_min items a minute (rumour.hpp). The period
// doubles up to exchange_ms while exchanges bring no news and snaps back when they do, so a
// growing network spreads in O(log N) rounds and a quiet one exchanges empty messages once a
// minute. Signature checks of forwarded records draw on a budget (check_budget.hpp: node-wide, and a share
// per sender); a copy of a record already held is recognised before any check.
#include "address_scope.hpp"
#include "membership_engine.hpp"
#include "sender_network.hpp"

#include <butter/iface/peers.h>

#include <algorithm>

namespace butter::knownhosts {

namespace {
// A peer whose last sample from us was short (we held few records then, as in the first second of a
// network) may have another this soon once we hold more, instead of a sample interval later: a
// newcomer that bootstrapped to a node which had just started would otherwise know nobody else for
// a minute (seen in the overlay netns test: a NATed pair with only each other, no verdict).
constexpr std::uint64_t kShortSampleRetryMs = 1000;
constexpr std::size_t kMaxPushesInFlight = 256;  // peers whose exchange result is awaited
}  // namespace

void MembershipEngine::refresh_own_record() {
  if (!env_.can_sign()) return;
  auto eps = env_.own_endpoints();
  // Relay endpoints first: for a node behind NAT they are the ones that work from outside.
  std::stable_partition(eps.begin(), eps.end(), [](const std::string& e) { return e.rfind("relay://", 0) == 0; });
  const std::uint64_t t = env_.unix_ms();
  const bool old = have_own_record_ && own_record_.issued_ms + records_.limits().max_age_ms / 4 < t;
  if (have_own_record_ && eps == own_endpoints_ && !old) return;
  const std::uint64_t seq = std::max(have_own_record_ ? own_record_.seq + 1 : 0, t);
  own_record_ =
      make_record(env_.public_key(), seq, t, eps, [this](const std::vector<std::uint8_t>& m) { return env_.sign(m); });
  own_endpoints_ = std::move(eps);
  have_own_record_ = true;
}

std::string MembershipEngine::network_of(const std::string& id) const {
  if (const HostEntry* h = cache_.find(id))
    for (const auto& e : h->endpoints)
      if (auto k = Neighbours::network_key(e); !k.empty()) return k;
  return {};
}

std::vector<std::vector<std::uint8_t>> MembershipEngine::records_for(const std::string& receiver, std::size_t k,
                                                                     bool outbound, Sample sample, bool first_contact,
                                                                     std::uint8_t version) {
  // Where the receiver reaches us from decides which endpoints it can route to. Not connected yet
  // (a neighbour being dialled): the endpoint we are about to dial it at says the same.
  std::string remote = observed_address(receiver);
  if (remote.empty())
    if (const HostEntry* h = cache_.find(receiver); h && !h->endpoints.empty()) remote = h->endpoints.front();
  auto keep = [&remote](std::string_view uri) { return routable_for(uri, remote); };
  // Only records with something the receiver can dial: a record of hidden endpoints is noise.
  auto usable = [&keep](const PeerRecord& r) {
    for (const auto& e : r.endpoints)
      if (e.uri && keep(*e.uri)) return true;
    return false;
  };
  bool first = false;
  ExchangeLedger::Entry& told = ledger_.touch(receiver, env_.now_ms(), first);
  first = first || first_contact;
  const bool give_sample = sample == Sample::Yes || (sample == Sample::IfFirst && first);
  std::vector<std::vector<std::uint8_t>> out;
  if (have_own_record_ && told.own_seq_sent != own_record_.seq) {
    out.push_back(own_record_.encode(keep, version));
    env_.traffic(Traffic::OwnRecord, out.back().size());
    told.own_seq_sent = own_record_.seq;
  }
  if (!give_sample) {
    // An acquaintance (or, in version 2, a peer that did not ask for a sample): if we chose to exchange with it, the
    // news it has not had from us, each item to at most `fanout` peers and within this node's news budget (rumour.hpp).
    // A reply carries none: a peer polling us would otherwise use up each item's fan-out and the budget.
    if (!outbound) return out;
    const std::uint64_t now = env_.now_ms();
    RecordStore::NewsPick pick;
    pick.max_pushes = cfg_.rumour.fanout;
    pick.max_relayed = news_budget_.relayed(now);
    pick.usable = usable;  // only records actually sent count as passed on
    // Bounded whatever happens to results (a result that never comes leaves an entry behind).
    if (pushed_in_flight_.size() >= kMaxPushesInFlight && !pushed_in_flight_.count(receiver))
      pushed_in_flight_.erase(pushed_in_flight_.begin());
    std::vector<std::uint64_t>& counted = pushed_in_flight_[receiver];
    counted.clear();
    pick.counted = &counted;
    const std::size_t room = std::min(k > out.size() ? k - out.size() : 0, news_budget_.total(now));
    std::size_t from_owners = 0, relayed = 0;
    for (const PeerRecord* r : records_.news_since(told.news_cursor, room, receiver, env_.unix_ms(), pick)) {
      out.push_back(r->encode(keep, version));
      env_.traffic(Traffic::NewsRecord, out.back().size());
      ++(records_.came_from_owner(*r) ? from_owners : relayed);
    }
    news_budget_.spend(from_owners, relayed, now);
    if (from_owners + relayed) env_.count(Metric::NewsPushed, from_owners + relayed);
    return out;
  }
  env_.count(Metric::FirstContacts);
  told.last_sample_ms = env_.now_ms();
  told.held_at_sample = records_.size();
  // A first contact (or a peer that asked): a quality-diverse sample of the members we hold records of (sample() is
  // diverse by class). Shuffled: sample() visits the classes in a fixed order, so taking its first
  // few would only ever forward hosts of the first classes. The news so far is covered by it.
  told.news_cursor = records_.news_counter();
  auto pool = cache_.sample(std::min<std::size_t>(cache_.size(), k * 2), rng_);
  std::shuffle(pool.begin(), pool.end(), rng_);
  std::vector<const PeerRecord*> chosen;
  for (const HostEntry* h : pool) {
    if (out.size() >= k) break;
    if (h->id == receiver) continue;
    if (const PeerRecord* r = records_.find(h->id); r && usable(*r)) {
      out.push_back(r->encode(keep, version));
      env_.traffic(Traffic::SampleRecord, out.back().size());
      chosen.push_back(r);
    }
  }
  // Members this node probed itself (its bootstrap peers' cache fills with the newcomers that
  // dialled it) may have no record here: fill the sample from the records held, or a newcomer
  // bootstrapping to a busy node learns nobody (seen in the simulator with one fixed seed node).
  // Only records of members: one admission refused (per-address/per-prefix sybil bounds) stays
  // held but is not handed on.
  if (out.size() < k && records_.size() > 0) {
    const std::size_t start = std::uniform_int_distribution<std::size_t>(0, records_.size() - 1)(rng_);
    for (const PeerRecord* r : records_.some(2 * k, start)) {
      if (out.size() >= k) break;
      if (std::find(chosen.begin(), chosen.end(), r) != chosen.end() || r->id_hex() == receiver || !usable(*r) ||
          !cache_.find(r->id_hex()))
        continue;
      out.push_back(r->encode(keep, version));
      env_.traffic(Traffic::SampleRecord, out.back().size());
    }
  }
  told.last_sample_size = out.size();
  return out;
}

std::size_t MembershipEngine::take_records(const Exchange& e, const std::string& from) {
  std::size_t news = 0;
  const std::uint64_t t = env_.unix_ms();
  const std::uint64_t now_ms = env_.now_ms();
  // The sender's network, from its connection: what the record store's per-source quota and the
  // per-sender share of the signature check budget count.
  const std::string source =
      sender_key(sender_network(observed_address(from), env_.own_endpoints(), cfg_.admission.loopback_exempt), from);
  bool forged = false;  // the sender passed on a record whose signature failed: no more checks for it here
  for (const auto& bytes : e.records) {
    std::string why;
    auto rec = parse_record(bytes.data(), bytes.size(), why);
    if (!rec) {
      env_.count(Metric::RecordsRefused);
      env_.count(Metric::Malformed);
      env_.debug("record from " + from.substr(0, 8) + " refused: " + why);
      continue;
    }
    const std::string id = rec->id_hex();
    if (id == self_) continue;
    // A host that answered this node itself (a probe, or its own quality request): its record is
    // kept before records of hosts only heard of, which fresh keys can make in any number.
    const HostEntry* known = cache_.find(id);
    const RecordOrigin origin{from, source, known && known->last_seen_ms != 0};
    if (origin.vouched) records_.vouch(id);
    // A copy of what we hold (the common case once the network is known) costs no signature check.
    RecordOffer o = records_.check(*rec, t, origin);
    if (o == RecordOffer::Accepted) {
      // The sender's own record is always checked (one per exchange, and exchanges are rate-limited
      // per peer); records of third parties only within the budget, node-wide and the sender's
      // share of it; nothing more once the sender passed on a forged record.
      if (forged || (id != from && !check_budget_.take(source, now_ms))) {
        env_.count(Metric::RecordsUnchecked);
        continue;
      }
      if (!env_.verify(*rec)) {
        env_.count(Metric::RecordsRefused);
        env_.count(Metric::Malformed);
        env_.count(Metric::ForgingSenders);
        env_.debug("record of " + id.substr(0, 8) + " from " + from.substr(0, 8) + " refused: bad signature");
        forged = true;
        continue;
      }
    }
    bool is_news = false, moved = false;
    if (o == RecordOffer::Accepted) o = records_.offer(*rec, t, origin, &is_news, &moved);
    if (o != RecordOffer::Accepted) {
      if (o != RecordOffer::Stale) {
        env_.count(Metric::RecordsRefused);
        env_.debug("record of " + id.substr(0, 8) + " from " + from.substr(0, 8) + " refused: " + offer_name(o));
      }
      continue;
    }
    env_.count(Metric::RecordsAccepted);
    if (is_news) {
      env_.count(Metric::RecordsNews);
      if (moved) env_.count(Metric::RecordsMoved);
      ++news;
    }
    auto eps = rec->visible_endpoints();
    for (const auto& ep : eps) env_.add_address(id, ep);
    if (HostEntry* h = cache_.find_mut(id)) {
      if (!eps.empty() && eps != h->endpoints) {
        h->endpoints = eps;
        env_.publish(BUTTER_PEERS_TOPIC_UPDATED, id);
      }
      continue;
    }
    if (eps.empty()) continue;
    // A host known only from its signed record: admitted with unknown quality, never probed just
    // for being heard of; refresh samples and neighbour dials find out whether it is alive.
    HostEntry h;
    h.id = id;
    h.endpoints = eps;
    h.address = admission_address({}, eps);  // no connection to observe: bounded by what it signed
    h.quality_known = false;
    probation_.erase(id);
    admit(h);
  }
  return news;
}

void MembershipEngine::restore(const PeerRecord& rec) {
  const std::string id = rec.id_hex();
  if (id == self_ || records_.restore(rec, env_.unix_ms()) != RecordOffer::Accepted) return;
  auto eps = rec.visible_endpoints();
  if (eps.empty() || cache_.find(id)) return;
  HostEntry h;
  h.id = id;
  h.endpoints = eps;
  h.address = admission_address({}, eps);
  h.quality_known = false;
  admit(h);
}

EngineReply MembershipEngine::handle_exchange(const std::string& from, const std::uint8_t* data, std::size_t len) {
  count_pex_bytes(len);
  EngineReply reply;
  const std::uint64_t t = env_.now_ms();
  bool first = false;
  auto& told = ledger_.touch(from, t, first);
  if (told.last_served_ms && t - told.last_served_ms < kExchangeServeIntervalMs) {
    // Exchanges cost signatures to check: one per interval per peer, whatever it sends.
    env_.count(Metric::ExchangesShed);
    reply.status = BUTTER_E_AGAIN;
    reply.error = kExchangeBusy;
    return reply;
  }
  told.last_served_ms = t;
  std::string why;
  auto e = decode_exchange(data, len, why);
  if (!e) {
    env_.count(Metric::Malformed);
    reply.status = BUTTER_E_INVALID;
    reply.error = why;
    return reply;
  }
  env_.count(Metric::Exchanges);
  if (e->version == kExchangeV2) {
    versions_.upgrade(from);  // an old node upgraded since it refused us
  } else {
    versions_.refresh(from, t);
  }
  if (take_records(*e, from)) hasten_exchange();
  Exchange answer;
  answer.version = e->version;
  if (e->neighbour) {
    // Bounded per network by where its connection comes from, not by the endpoints it announces.
    const SenderNetwork net =
        sender_network(observed_address(from), env_.own_endpoints(), cfg_.admission.loopback_exempt);
    const Neighbours::Inbound in = neighbours_.accept_inbound(from, network_of(from), net.address, net.prefix);
    if (!in.replaced.empty()) env_.unprotect(in.replaced);
    answer.neighbour = in.accepted;
    if (answer.neighbour) env_.protect(from);
  }
  // Version 1: a first contact gets a full sample (it may be new and know nobody else), an
  // acquaintance what it has not had from us. Version 2: a sample only when asked for, at most one
  // per peer per sample_interval_ms. At most exchange_size records; answers are rate-limited per peer.
  Sample sample = Sample::IfFirst;
  if (e->version == kExchangeV2) {
    const std::uint64_t since = t - told.last_sample_ms;
    const bool short_and_grown = told.last_sample_size < cfg_.exchange_size && records_.size() > told.held_at_sample &&
                                 since >= kShortSampleRetryMs;
    const bool due = told.last_sample_ms == 0 || since >= cfg_.sample_interval_ms || short_and_grown;
    sample = e->want_sample && due ? Sample::Yes : Sample::No;
  }
  answer.records =
      records_for(from, cfg_.exchange_size, false, sample, first, e->version);  // its touch above made it known
  env_.debug("exchange from " + from.substr(0, 8) + ": " + std::to_string(e->records.size()) + " records in, " +
             std::to_string(answer.records.size()) + " back" + (sample == Sample::Yes ? " (a sample)" : "") +
             (e->neighbour ? (answer.neighbour ? "; neighbour accepted" : "; neighbour refused") : ""));
  reply.bytes = encode_exchange(answer);
  count_pex_bytes(reply.bytes.size());
  count_frame(answer, reply.bytes.size());
  return reply;
}

void MembershipEngine::exchange_with(const std::string& id, bool want_neighbour) {
  Exchange e;
  e.version = wire_version_for(id);
  e.neighbour = want_neighbour;
  if (want_neighbour) env_.count(Metric::NeighbourAsks);
  // Version 2: our own record and news only; the peer asks when it wants a sample (want_sample).
  if (e.version == kExchangeV2) e.want_sample = want_sample();
  e.records = records_for(id, cfg_.exchange_size, true, e.version == kExchangeV2 ? Sample::No : Sample::IfFirst, false,
                          e.version);
  auto bytes = encode_exchange(e);
  count_pex_bytes(bytes.size());
  count_frame(e, bytes.size());
  env_.count(Metric::Exchanges);
  std::string error;
  if (!env_.send_exchange(id, bytes, want_neighbour, error)) {
    give_back_pushes(id);
    ledger_.forget(id);
    if (want_neighbour) {
      // A neighbour dial that failed is backed off (longer after each failure in a row) and counts
      // toward eviction as a failed probe does: a host named only by a record (any endpoint its
      // signer likes, a victim's say) goes after max_failures dials, not when its record expires.
      neighbours_.failed(id, env_.now_ms());
      on_failure(id, "neighbour dial: " + error);
    }
  }
}

bool MembershipEngine::want_sample() {
  // A node that knows few hosts (a newcomer, one cut off, or any node of a network smaller than
  // sample_until) asks every peer it exchanges with; each answers at most one sample a minute, so
  // the cost is bounded by its neighbours. Asking only at first contacts (and while short of
  // outbound neighbours) left a node of a 16-node overlay missing a host for 90 s: news is
  // rumour-mongered with a fan-out, which does not promise to reach everyone. A newcomer whose
  // first sample named only departed hosts is not left with nothing to dial either. One whose
  // cache is fed asks now and then, enough to keep its records fresh and its cache mixed.
  if (cache_.size() < std::min(cfg_.sample_until, cache_.capacity())) return true;
  return sample_budget_.take(env_.now_ms());
}

void MembershipEngine::count_frame(const Exchange& e, std::size_t encoded) {
  std::size_t records = 0;
  for (const auto& r : e.records) records += r.size();
  env_.traffic(Traffic::PexFrame, encoded > records ? encoded - records : 0);
}

void MembershipEngine::give_back_pushes(const std::string& id) {
  auto it = pushed_in_flight_.find(id);
  if (it == pushed_in_flight_.end()) return;
  records_.unpush(it->second);
  pushed_in_flight_.erase(it);
}

void MembershipEngine::on_exchange_result(const std::string& id, bool want_neighbour, bool ok, const std::uint8_t* data,
                                          std::size_t len, const std::string& error) {
  const std::uint64_t t = env_.now_ms();
  if (!ok) {
    give_back_pushes(id);
    // What we sent may not have arrived: the next exchange with it starts over with a sample.
    ledger_.forget(id);
    if (error == kExchangeRefusesV2 && fall_back_to_v1(id, want_neighbour)) return;
    // Busy (our previous exchange with it was under its serve interval ago): ask again after the
    // interval, not after the backoff of a peer that failed. Two asks in one interval are common at
    // start (a contact exchange, then a neighbour ask), and a 15 s backoff then left a node without
    // neighbours once the others had filled their inbound slots.
    if (want_neighbour) {
      if (error == kExchangeBusy) {
        neighbours_.busy(id, t + 2 * kExchangeServeIntervalMs);
      } else {
        neighbours_.failed(id, t);  // backed off and counted toward eviction (see exchange_with)
        on_failure(id, "neighbour dial: " + error);
      }
    }
    env_.debug("exchange with " + id.substr(0, 8) + " failed: " + error);
    return;
  }
  pushed_in_flight_.erase(id);  // delivered: the pushes stand
  count_pex_bytes(len);
  std::string why;
  auto answer = decode_exchange(data, len, why);
  if (!answer) {
    env_.count(Metric::Malformed);
    if (want_neighbour) {
      neighbours_.failed(id, t);
      on_failure(id, "neighbour dial: malformed answer: " + why);
    }
    return;
  }
  std::size_t fresh = take_records(*answer, id);
  const char* as_neighbour = "";
  if (want_neighbour) {
    if (answer->neighbour && neighbours_.accepted(id, network_of(id))) {
      env_.protect(id);
      as_neighbour = "; neighbour accepted";
    } else {
      neighbours_.refused(id, t);
      as_neighbour = "; neighbour refused";
    }
  }
  env_.debug("exchange with " + id.substr(0, 8) + ": " + std::to_string(answer->records.size()) + " records back, " +
             std::to_string(fresh) + " news" + as_neighbour);
  release_if_one_off(id);
  // Adapt: news -> exchange again soon (and pass it on); nothing -> slow down.
  if (fresh) {
    hasten_exchange();
  } else {
    exchange_period_ms_ = std::min(cfg_.exchange_max_ms, exchange_period_ms_ * 2);
  }
}

bool MembershipEngine::fall_back_to_v1(const std::string& id, bool want_neighbour) {
  const std::uint64_t t = env_.now_ms();
  if (versions_.v1_only(id, t)) return false;
  versions_.mark_v1_only(id, t);
  env_.count(Metric::V1Fallbacks);
  env_.debug("exchange with " + id.substr(0, 8) + " refused version 2: retrying in version 1");
  // A retry for it already waiting is replaced; when full, the oldest goes (a neighbour ask then
  // counts as failed, or the peer would stay "dialling" for good).
  auto same = std::find_if(v1_retries_.begin(), v1_retries_.end(), [&id](const V1Retry& r) { return r.id == id; });
  if (same != v1_retries_.end()) {
    want_neighbour = want_neighbour || same->want_neighbour;
    v1_retries_.erase(same);
  } else if (v1_retries_.size() >= kMaxContacts) {
    if (v1_retries_.front().want_neighbour) neighbours_.failed(v1_retries_.front().id, t);
    v1_retries_.erase(v1_retries_.begin());
  }
  // The old node started its serve interval when it refused us: a retry before its end is shed.
  v1_retries_.push_back({id, want_neighbour, t + kExchangeServeIntervalMs});
  if (exchange_due_ms_ > v1_retries_.back().due_ms) schedule_exchange();
  return true;
}

bool MembershipEngine::retry_in_v1() {
  const std::uint64_t t = env_.now_ms();
  auto due = std::find_if(v1_retries_.begin(), v1_retries_.end(), [t](const V1Retry& r) { return r.due_ms <= t; });
  if (due == v1_retries_.end()) return false;
  const V1Retry r = *due;
  v1_retries_.erase(due);
  exchange_with(r.id, r.want_neighbour);  // in version 1 now (wire_version_for)
  return true;
}

void MembershipEngine::neighbour_tick() {
  if (neighbours_.out_count() >= neighbours_.options().want_out) return;
  std::vector<Neighbours::Candidate> cands;
  for (const HostEntry* h : cache_.sample(std::min<std::size_t>(cache_.size(), 32), rng_))
    cands.push_back({h->id, network_of(h->id), h->last_seen_ms != 0});
  for (const auto& id : neighbours_.to_dial(cands, env_.now_ms())) exchange_with(id, true);
}

void MembershipEngine::schedule_exchange() {
  const std::uint64_t now = env_.now_ms();
  std::uint64_t delay = exchange_period_ms_;
  // A retry in version 1 goes at the first tick after it is due, not a full period later.
  for (const auto& r : v1_retries_) delay = std::min(delay, r.due_ms > now ? r.due_ms - now : 1);
  exchange_due_ms_ = now + delay;
  env_.schedule_exchange(delay);
}

void MembershipEngine::exchange_timer() {
  exchange_tick();
  schedule_exchange();
}

void MembershipEngine::hasten_exchange() {
  exchange_period_ms_ = cfg_.exchange_min_ms;
  const std::uint64_t soon = env_.now_ms() + cfg_.exchange_min_ms;
  if (exchange_due_ms_ > soon) schedule_exchange();
}

void MembershipEngine::exchange_tick() {
  refresh_own_record();
  if (retry_in_v1()) return;
  auto all = neighbours_.all();
  if (neighbours_.out_count() < neighbours_.options().want_out) {
    // Short of neighbours (cold start, or the others' inbound slots are full): exchange with any
    // connected peer too, e.g. the bootstrap node or our ambassador. With neighbours only, a NATed
    // pair that had chosen each other and been refused by the rest exchanged with each other alone:
    // its relay endpoints never left its LAN. Still one exchange per tick, among at most the
    // host's high watermark of connections.
    for (const auto& p : env_.peers())
      if (std::find(all.begin(), all.end(), p.id) == all.end()) all.push_back(p.id);
  }
  if (all.empty()) return;
  // A contact first: a node whose only hosts are its LAN mates learns the wider network from the
  // bootstrap peer (a first contact, so it answers with a full sample).
  while (!contacts_.empty()) {
    const std::string id = contacts_.front();
    contacts_.erase(contacts_.begin());
    if (!connected(id) || ledger_.find(id)) continue;
    exchange_with(id, false);
    return;
  }
  // A neighbour that has news waiting from us (or our changed record) goes first: news travels on
  // the next tick, not after a random walk through the others.
  std::vector<std::string> behind;
  const std::uint64_t t = env_.unix_ms();
  const bool news_room = news_budget_.total(env_.now_ms()) > 0;
  for (const auto& id : all) {
    const ExchangeLedger::Entry* told = ledger_.find(id);
    // News waiting counts only while the budget can send some (else the same peer is picked again
    // and again for nothing).
    const bool news_waiting = news_room && records_.news_after(told ? told->news_cursor : 0, t, cfg_.rumour.fanout);
    if (!told || news_waiting || (have_own_record_ && told->own_seq_sent != own_record_.seq)) behind.push_back(id);
  }
  // Outbound neighbours first: we chose them (by quality and network), so a peer that opened many
  // connections to us cannot draw most of our news; inbound ones get the ticks no outbound one needs.
  std::vector<std::string> behind_out;
  for (const auto& id : behind)
    if (neighbours_.is_outbound(id)) behind_out.push_back(id);
  const auto& from = !behind_out.empty() ? behind_out : behind.empty() ? all : behind;
  std::uniform_int_distribution<std::size_t> pick(0, from.size() - 1);
  exchange_with(from[pick(rng_)], false);
}

void MembershipEngine::lose_neighbour(const std::string& id) {
  if (neighbours_.lost(id)) env_.unprotect(id);
}

}  // namespace butter::knownhosts
