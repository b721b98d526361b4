// KnownHosts, the overlay: this node's signed peer record, the peer exchange (/butter/pex/1) that
// spreads records, and the neighbours that keep the overlay connected with a bounded active set.
//
// Cost per node does not grow with the network: one exchange per period with one neighbour, at
// most exchange_size records each way, at most a few dials at a time for neighbours. A first
// contact gets a full, quality-diverse sample (it must learn the network from us); after that a
// peer gets only what it has not had from us: our own record when it changed, and the news (new
// hosts, moved endpoints) we learned since (ExchangeLedger, RecordStore::news_since). The period
// doubles up to exchange_ms while exchanges bring no news and snaps back when they do, so a
// growing network spreads in O(log N) rounds and a quiet one exchanges empty messages once a
// minute. Signature checks of forwarded records draw on a budget (CheckBudget); a copy of a
// record already held is recognised before any check.
#include "address_scope.hpp"
#include "knownhosts.hpp"

#include <butter/wire.hpp>

#include <algorithm>
#include <chrono>

namespace butter::knownhosts {

namespace {
constexpr std::uint64_t kServeIntervalMs = 500;  // one exchange answered per peer per interval
}  // namespace

std::uint64_t KnownHosts::unix_ms() const {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void KnownHosts::overlay_init() {
  conns_ = butter::Connections(host());
  const auto watermarks = conns_.info();
  std::int64_t want = config().get_int("neighbours", 0);
  std::int64_t max_in = config().get_int("max_inbound_neighbours", 0);
  std::int64_t ex_min = config().get_int("exchange_min_ms", 1000);
  std::int64_t ex_max = config().get_int("exchange_ms", 60000);
  std::int64_t ex_size = config().get_int("exchange_size", 8);
  std::int64_t tick = config().get_int("neighbour_ms", 1000);
  std::int64_t max_age = config().get_int("record_max_age_ms", 2 * 3600 * 1000);
  double checks = config().get_float("record_checks_per_s", 2.0);
  std::int64_t news_ttl = config().get_int("news_ttl_ms", 30000);
  if (news_ttl <= 0) throw butter::Error(BUTTER_E_INVALID, "news_ttl_ms must be > 0");
  if (!(checks > 0 && checks <= 1e6)) throw butter::Error(BUTTER_E_INVALID, "record_checks_per_s must be in (0, 1e6]");
  check_budget_ = CheckBudget(checks, std::max(32.0, checks));
  if (want < 0 || max_in < 0) throw butter::Error(BUTTER_E_INVALID, "neighbours and max_inbound_neighbours must be >= 0");
  if (ex_min <= 0 || ex_max < ex_min) throw butter::Error(BUTTER_E_INVALID, "need 0 < exchange_min_ms <= exchange_ms");
  if (ex_size < 1 || ex_size > static_cast<std::int64_t>(kMaxExchangeRecords))
    throw butter::Error(BUTTER_E_INVALID, "exchange_size must be 1.." + std::to_string(kMaxExchangeRecords));
  if (tick <= 0 || max_age < 60000) throw butter::Error(BUTTER_E_INVALID, "neighbour_ms > 0, record_max_age_ms >= 60000");
  // Defaults follow the host's watermarks: choose low_water neighbours, accept the rest of the
  // room below high_water from others.
  if (want == 0) want = watermarks.low_water ? watermarks.low_water : 8;
  if (max_in == 0) {
    std::int64_t high = watermarks.high_water ? watermarks.high_water : 32;
    max_in = std::max<std::int64_t>(want, high - want);
  }
  Neighbours::Options o;
  o.want_out = static_cast<std::size_t>(want);
  o.max_in = static_cast<std::size_t>(max_in);
  neighbours_.set_options(o);
  exchange_min_ = std::chrono::milliseconds(ex_min);
  exchange_max_ = std::chrono::milliseconds(ex_max);
  exchange_period_ = exchange_min_;
  exchange_size_ = static_cast<std::size_t>(ex_size);
  neighbour_period_ = std::chrono::milliseconds(tick);
  RecordStore::Limits limits;
  limits.capacity = cache_.capacity() + probation_max_;
  limits.max_age_ms = static_cast<std::uint64_t>(max_age);
  limits.news_ttl_ms = static_cast<std::uint64_t>(news_ttl);
  records_ = RecordStore(limits);
  on(kExchangeProtocol, [this](const butter::Request& req, butter::Reply& reply) { handle_exchange(req, reply); });
}

void KnownHosts::overlay_start() {
  refresh_own_record();
  neighbour_timer_ = every(neighbour_period_, [this] { neighbour_tick(); });
  schedule_exchange();
  neighbour_tick();
}

void KnownHosts::refresh_own_record() {
  if (!identity().available()) return;
  auto eps = node().endpoints();
  // Relay endpoints first: for a node behind NAT they are the ones that work from outside.
  std::stable_partition(eps.begin(), eps.end(), [](const std::string& e) { return e.rfind("relay://", 0) == 0; });
  const std::uint64_t t = unix_ms();
  const bool old = have_own_record_ && own_record_.issued_ms + records_.limits().max_age_ms / 4 < t;
  if (have_own_record_ && eps == own_endpoints_ && !old) return;
  butter::PublicKey key = identity().public_key();
  const std::uint64_t seq = std::max(have_own_record_ ? own_record_.seq + 1 : 0, t);
  own_record_ = make_record(key, seq, t, eps, [this](const std::vector<std::uint8_t>& m) {
    return identity().sign(kRecordContext, butter::Bytes(m));
  });
  own_endpoints_ = std::move(eps);
  have_own_record_ = true;
}

std::string KnownHosts::network_of(const std::string& id) const {
  std::vector<std::string> eps;
  if (const HostEntry* h = cache_.find(id)) eps = h->endpoints;
  for (const auto& e : eps)
    if (auto k = Neighbours::network_key(e); !k.empty()) return k;
  return {};
}

std::vector<std::vector<std::uint8_t>> KnownHosts::records_for(const std::string& receiver, std::size_t k,
                                                               bool first_contact) {
  // Where the receiver reaches us from decides which endpoints it can route to. Not connected yet
  // (a neighbour being dialled): the endpoint we are about to dial it at says the same.
  std::string remote;
  for (const auto& p : peers())
    if (p.node_id == receiver) remote = p.remote_address;
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
  ExchangeLedger::Entry& told = ledger_.touch(receiver, static_cast<std::uint64_t>(now().count()), first);
  first = first || first_contact;
  std::vector<std::vector<std::uint8_t>> out;
  if (have_own_record_ && told.own_seq_sent != own_record_.seq) {
    out.push_back(own_record_.encode(keep));
    told.own_seq_sent = own_record_.seq;
  }
  if (!first) {
    // An acquaintance: only the news it has not had from us.
    for (const PeerRecord* r : records_.news_since(told.news_cursor, k > out.size() ? k - out.size() : 0, receiver, unix_ms()))
      if (usable(*r)) out.push_back(r->encode(keep));
    return out;
  }
  first_contacts_.add();
  // A first contact: a quality-diverse sample of the members we hold records of (sample() is
  // diverse by class). Shuffled: sample() visits the classes in a fixed order, so taking its first
  // few would only ever forward hosts of the first classes. The news so far is covered by it.
  told.news_cursor = records_.news_counter();
  auto pool = cache_.sample(std::min<std::size_t>(cache_.size(), k * 2), rng_);
  std::shuffle(pool.begin(), pool.end(), rng_);
  for (const HostEntry* h : pool) {
    if (out.size() >= k) break;
    if (h->id == receiver) continue;
    if (const PeerRecord* r = records_.find(h->id); r && usable(*r)) out.push_back(r->encode(keep));
  }
  return out;
}

std::size_t KnownHosts::take_records(const Exchange& e, const std::string& from) {
  std::size_t news = 0;
  const std::uint64_t t = unix_ms();
  const auto now_ms = static_cast<std::uint64_t>(now().count());
  auto verifier = [this](const std::array<std::uint8_t, 32>& key, const std::vector<std::uint8_t>& m,
                         const std::array<std::uint8_t, 64>& sig) {
    return identity().verify(key, kRecordContext, butter::Bytes(m), sig);
  };
  for (const auto& bytes : e.records) {
    std::string why;
    auto rec = parse_record(bytes.data(), bytes.size(), why);
    if (!rec) {
      records_refused_.add();
      malformed_.add();
      log().debug("record from {} refused: {}", from.substr(0, 8), why);
      continue;
    }
    const std::string id = rec->id_hex();
    if (id == self_) continue;
    // A copy of what we hold (the common case once the network is known) costs no signature check.
    RecordOffer o = records_.check(*rec, t);
    if (o == RecordOffer::Accepted) {
      // The sender's own record is always checked (one per exchange, and exchanges are rate-limited
      // per peer); records of third parties only within the budget.
      if (id != from && !check_budget_.take(now_ms)) {
        records_unchecked_.add();
        continue;
      }
      if (!verify_record(*rec, verifier)) {
        records_refused_.add();
        malformed_.add();
        log().debug("record of {} from {} refused: bad signature", id.substr(0, 8), from.substr(0, 8));
        continue;
      }
    }
    bool is_news = false, moved = false;
    if (o == RecordOffer::Accepted) o = records_.offer(*rec, t, from, &is_news, &moved);
    if (o != RecordOffer::Accepted) {
      if (o != RecordOffer::Stale) {
        records_refused_.add();
        log().debug("record of {} from {} refused: {}", id.substr(0, 8), from.substr(0, 8), offer_name(o));
      }
      continue;
    }
    records_accepted_.add();
    if (is_news) {
      records_news_.add();
      if (moved) records_moved_.add();
      ++news;
    }
    auto eps = rec->visible_endpoints();
    for (const auto& ep : eps) add_address(id, ep);
    if (HostEntry* h = cache_.find_mut(id)) {
      if (!eps.empty() && eps != h->endpoints) {
        h->endpoints = eps;
        publish(BUTTER_PEERS_TOPIC_UPDATED, id);
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

void KnownHosts::handle_exchange(const butter::Request& req, butter::Reply& reply) {
  count_pex_bytes(req.bytes().size());
  std::string from(req.from());
  const auto t = static_cast<std::uint64_t>(now().count());
  bool first = false;
  auto& told = ledger_.touch(from, t, first);
  if (told.last_served_ms && t - told.last_served_ms < kServeIntervalMs) {
    // Exchanges cost signatures to check: one per interval per peer, whatever it sends.
    exchanges_shed_.add();
    reply.error(BUTTER_E_AGAIN, "one exchange per peer per 500 ms");
    return;
  }
  told.last_served_ms = t;
  std::string why;
  auto e = decode_exchange(req.bytes().data(), req.bytes().size(), why);
  if (!e) {
    malformed_.add();
    reply.error(BUTTER_E_INVALID, why);
    return;
  }
  exchanges_.add();
  if (take_records(*e, from)) hasten_exchange();
  Exchange answer;
  if (e->neighbour) {
    answer.neighbour = neighbours_.accept_inbound(from, network_of(from));
    if (answer.neighbour) conns_.protect(from, "overlay");
  }
  // A first contact gets a full sample (it may be new and know nobody else), an acquaintance what
  // it has not had from us; at most exchange_size records, and answers are rate-limited per peer.
  answer.records = records_for(from, exchange_size_, first);  // its touch above made it known
  auto bytes = encode_exchange(answer);
  count_pex_bytes(bytes.size());
  reply.ok(bytes);
  update_gauges();
}

void KnownHosts::exchange_with(const std::string& id, bool want_neighbour) {
  Exchange e;
  e.neighbour = want_neighbour;
  if (want_neighbour) neighbour_asks_.add();
  e.records = records_for(id, exchange_size_);
  auto bytes = encode_exchange(e);
  count_pex_bytes(bytes.size());
  exchanges_.add();
  butter::Status s = request(id, kExchangeProtocol, bytes, timeout_, [this, id, want_neighbour](const butter::Response& r) {
    const auto t = static_cast<std::uint64_t>(now().count());
    if (!r.ok()) {
      if (want_neighbour) neighbours_.failed(id, t);
      // What we sent may not have arrived: the next exchange with it starts over with a sample.
      ledger_.forget(id);
      log().debug("exchange with {} failed: {}", id.substr(0, 8), r.error());
      return;
    }
    count_pex_bytes(r.bytes().size());
    std::string why;
    auto answer = decode_exchange(r.bytes().data(), r.bytes().size(), why);
    if (!answer) {
      malformed_.add();
      if (want_neighbour) neighbours_.failed(id, t);
      return;
    }
    std::size_t fresh = take_records(*answer, id);
    if (want_neighbour) {
      if (answer->neighbour && neighbours_.accepted(id, network_of(id))) {
        conns_.protect(id, "overlay");
      } else {
        neighbours_.refused(id, t);
      }
    }
    // Adapt: news -> exchange again soon (and pass it on); nothing -> slow down.
    if (fresh) {
      hasten_exchange();
    } else {
      exchange_period_ = std::min(exchange_max_, exchange_period_ * 2);
    }
    update_gauges();
  });
  if (!s) {
    ledger_.forget(id);
    if (want_neighbour) neighbours_.failed(id, static_cast<std::uint64_t>(now().count()));
  }
}

void KnownHosts::neighbour_tick() {
  if (neighbours_.out_count() >= neighbours_.options().want_out) return;
  std::vector<Neighbours::Candidate> cands;
  for (const HostEntry* h : cache_.sample(std::min<std::size_t>(cache_.size(), 32), rng_))
    cands.push_back({h->id, network_of(h->id)});
  for (const auto& id : neighbours_.to_dial(cands, static_cast<std::uint64_t>(now().count()))) exchange_with(id, true);
}

void KnownHosts::schedule_exchange() {
  exchange_due_ms_ = static_cast<std::uint64_t>(now().count() + exchange_period_.count());
  exchange_timer_ = after(exchange_period_, [this] {
    exchange_tick();
    schedule_exchange();
  });
}

void KnownHosts::hasten_exchange() {
  exchange_period_ = exchange_min_;
  const auto soon = static_cast<std::uint64_t>(now().count() + exchange_min_.count());
  if (exchange_due_ms_ > soon) schedule_exchange();
}

void KnownHosts::exchange_tick() {
  refresh_own_record();
  auto all = neighbours_.all();
  if (all.empty()) {
    // No neighbour yet (cold start): exchange with any connected peer, e.g. the bootstrap node.
    for (const auto& p : peers()) all.push_back(p.node_id);
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
  for (const auto& id : all) {
    const ExchangeLedger::Entry* told = ledger_.find(id);
    if (!told || records_.news_after(told->news_cursor, unix_ms()) || (have_own_record_ && told->own_seq_sent != own_record_.seq))
      behind.push_back(id);
  }
  const auto& from = behind.empty() ? all : behind;
  std::uniform_int_distribution<std::size_t> pick(0, from.size() - 1);
  exchange_with(from[pick(rng_)], false);
}

void KnownHosts::overlay_peer_up(const std::string& id) {
  if (neighbours_.out_count() > 0 || contacts_.size() >= kMaxContacts || ledger_.find(id)) return;
  if (std::find(contacts_.begin(), contacts_.end(), id) == contacts_.end()) contacts_.push_back(id);
}

void KnownHosts::lose_neighbour(const std::string& id) {
  if (neighbours_.lost(id)) {
    conns_.unprotect(id, "overlay");
    update_gauges();
  }
}

}  // namespace butter::knownhosts
