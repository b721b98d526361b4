// The simulated world: nodes, connections and the host's connection manager, links with delay,
// churn. See overlay_sim.hpp for the model.
#include "sim_world.hpp"

#include <butter/wire.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace butter::knownhosts::sim {

namespace {
constexpr std::uint64_t kSweepMs = 5000;  // the connection manager's trim / idle check
constexpr std::uint64_t kNever = ~std::uint64_t{0} / 4;
}  // namespace

// --- NodeEnv -------------------------------------------------------------------------------

std::uint64_t NodeEnv::now_ms() { return w_.now(); }
std::uint64_t NodeEnv::unix_ms() { return World::kUnixBase + w_.now(); }

std::vector<PeerLink> NodeEnv::peers() {
  std::vector<PeerLink> out;
  const Node& n = w_.node(self_);
  out.reserve(n.conns.size());
  for (const Conn& c : n.conns) {
    const Node& p = w_.node(c.peer);
    out.push_back(PeerLink{p.id, p.endpoint, {p.endpoint}});
  }
  return out;
}

std::string NodeEnv::remote_address(const std::string& id) {
  const std::uint32_t j = World::index_of(id);
  return w_.conn(self_, j) ? w_.node(j).endpoint : std::string();
}

bool NodeEnv::is_connected(const std::string& id) { return w_.conn(self_, World::index_of(id)) != nullptr; }

ConnLimits NodeEnv::conn_limits() {
  return ConnLimits{w_.options().low_water, w_.options().high_water, w_.node(self_).conns.size()};
}

std::vector<std::string> NodeEnv::own_endpoints() { return {w_.node(self_).endpoint}; }

Quality NodeEnv::own_quality() {
  Quality q;
  q.uptime_s = (w_.now() - w_.node(self_).born_ms) / 1000;
  return q;
}

std::array<std::uint8_t, 32> NodeEnv::public_key() {
  std::array<std::uint8_t, 32> k{};
  wire::hex_to_id(w_.node(self_).id, k.data());
  return k;
}

bool NodeEnv::send_probe(const std::string& id, const std::vector<std::uint8_t>& bytes, std::string& error) {
  return w_.send(self_, id, false, false, bytes, error);
}

bool NodeEnv::send_exchange(const std::string& id, const std::vector<std::uint8_t>& bytes, bool want_neighbour,
                            std::string& error) {
  return w_.send(self_, id, true, want_neighbour, bytes, error);
}

void NodeEnv::protect(const std::string& id) {
  if (Conn* c = w_.conn(self_, World::index_of(id))) c->is_protected = true;
}

void NodeEnv::unprotect(const std::string& id) {
  if (Conn* c = w_.conn(self_, World::index_of(id))) c->is_protected = false;
}

void NodeEnv::schedule_exchange(std::uint64_t delay_ms) {
  Node& n = w_.node(self_);
  Event e{};
  e.t = w_.now() + delay_ms;
  e.type = Ev::ExchangeTimer;
  e.a = self_;
  e.gen = ++n.exchange_gen;
  w_.push(e);
}

void NodeEnv::count(Metric m, std::uint64_t n) { w_.counted(m, n); }

void NodeEnv::traffic(Traffic kind, std::size_t bytes) {
  TrafficTally& t = w_.node(self_).pending;
  t.bytes[static_cast<std::size_t>(kind)] += bytes;
  ++t.items[static_cast<std::size_t>(kind)];
}

// --- World ---------------------------------------------------------------------------------

World::World(const SimOptions& o) : o_(o), rng_(o.seed) {}

std::uint32_t World::index_of(const std::string& id_hex) {
  if (id_hex.size() != 64) return ~0u;
  return static_cast<std::uint32_t>(std::strtoul(id_hex.substr(0, 8).c_str(), nullptr, 16));
}

void World::push(Event e) {
  e.seq = seq_++;
  q_.push(e);
}

Conn* World::conn(std::uint32_t a, std::uint32_t b) {
  if (a >= nodes_.size()) return nullptr;
  for (Conn& c : nodes_[a]->conns)
    if (c.peer == b) return &c;
  return nullptr;
}

std::uint64_t World::latency() {
  return std::uniform_int_distribution<std::uint64_t>(o_.latency_min_ms, o_.latency_max_ms)(rng_);
}

std::uint64_t World::session_ms(bool residual) {
  // Log-normal with the given median; a member of a stationary population has lived part of a
  // length-biased session (for a log-normal: mu + sigma^2), the rest uniformly distributed.
  const double mu = std::log(o_.median_session_s * 1000.0);
  const double s = o_.session_sigma;
  double len = std::lognormal_distribution<double>(residual ? mu + s * s : mu, s)(rng_);
  if (residual) len *= std::uniform_real_distribution<double>(0, 1)(rng_);
  return static_cast<std::uint64_t>(std::max(1000.0, std::min(len, 1e12)));
}

std::uint32_t World::make_node(std::uint64_t dies_ms) {
  const auto i = static_cast<std::uint32_t>(nodes_.size());
  auto n = std::make_unique<Node>();
  // The index in the first 8 hex digits, then filler that differs per node (ids compare as
  // fast as random ones would).
  char hex[65];
  std::uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
  std::snprintf(hex, sizeof hex, "%08x%016llx%016llx%016llx%08x", i, static_cast<unsigned long long>(x),
                static_cast<unsigned long long>(x * 31), static_cast<unsigned long long>(x * 131), i);
  n->id.assign(hex, 64);
  const std::uint32_t host = i + 1;  // 127.0.0.1 upwards: loopback, the only addresses a test may use
  n->endpoint = "tcp://127." + std::to_string((host >> 16) & 255) + "." + std::to_string((host >> 8) & 255) + "." +
                std::to_string(host & 255) + ":7000";
  n->alive = true;
  n->born_ms = now_;
  n->dies_ms = dies_ms >= kNever ? kNever : now_ + dies_ms;  // `dies_ms` is the session's length
  nodes_.push_back(std::move(n));
  live_pos_.push_back(static_cast<std::uint32_t>(live_.size()));
  live_.push_back(i);
  return i;
}

void World::start_node(std::uint32_t i, std::int64_t bootstrap) {
  Node& n = *nodes_[i];
  n.env = std::make_unique<NodeEnv>(*this, i);
  n.engine = std::make_unique<MembershipEngine>(*n.env, n.id, o_.engine, rng_());
  n.engine->start();
  Event r{};
  r.t = now_ + std::uniform_int_distribution<std::uint64_t>(1, o_.refresh_ms)(rng_);
  r.type = Ev::Refresh;
  r.a = i;
  push(r);
  if (n.dies_ms < kNever) {
    Event l{};
    l.t = n.dies_ms;
    l.type = Ev::Leave;
    l.a = i;
    push(l);
  }
  if (bootstrap >= 0) {
    // The host dials its bootstrap peer: the connection is up after the handshake.
    Event c{};
    c.t = now_ + 4 * latency();
    c.type = Ev::Connect;
    c.a = i;
    c.b = static_cast<std::uint32_t>(bootstrap);
    c.msg = ~0u;
    push(c);
  }
}

std::int64_t World::random_live(std::uint32_t except) {
  if (o_.fixed_seed_node && except != 0 && nodes_[0]->alive) return 0;
  for (int tries = 0; tries < 64 && !live_.empty(); ++tries) {
    std::uint32_t c = live_[std::uniform_int_distribution<std::size_t>(0, live_.size() - 1)(rng_)];
    if (c != except) return c;
  }
  return -1;
}

void World::connect(std::uint32_t a, std::uint32_t b) {
  if (a == b || conn(a, b)) return;
  nodes_[a]->conns.push_back(Conn{b, false, now_, now_});
  nodes_[b]->conns.push_back(Conn{a, false, now_, now_});
  const std::vector<std::string> ea{nodes_[a]->endpoint}, eb{nodes_[b]->endpoint};
  nodes_[a]->engine->on_peer_up(nodes_[b]->id, &eb);
  if (nodes_[b]->alive && nodes_[a]->alive) nodes_[b]->engine->on_peer_up(nodes_[a]->id, &ea);
  note_progress(a);
  note_progress(b);
}

void World::disconnect(std::uint32_t a, std::uint32_t b) {
  auto drop = [this](std::uint32_t x, std::uint32_t y) {
    auto& v = nodes_[x]->conns;
    auto it = std::find_if(v.begin(), v.end(), [y](const Conn& c) { return c.peer == y; });
    if (it == v.end()) return false;
    v.erase(it);
    return true;
  };
  const bool had = drop(a, b);
  drop(b, a);
  if (!had) return;
  if (nodes_[a]->alive) nodes_[a]->engine->on_peer_down(nodes_[b]->id);
  if (nodes_[b]->alive) nodes_[b]->engine->on_peer_down(nodes_[a]->id);
}

void World::leave(std::uint32_t i) {
  Node& n = *nodes_[i];
  if (!n.alive) return;
  n.alive = false;
  while (!n.conns.empty()) disconnect(i, n.conns.back().peer);
  const std::uint32_t pos = live_pos_[i];
  live_[pos] = live_.back();
  live_pos_[live_[pos]] = pos;
  live_.pop_back();
  n.engine.reset();
  n.env.reset();
  if (measuring_) ++leaves_;
}

void World::sweep() {
  // The host's connection manager on every node: idle unprotected connections close; above
  // high_water, unprotected ones past their grace are trimmed, least recently active first.
  for (std::size_t k = 0; k < live_.size(); ++k) {
    const std::uint32_t i = live_[k];
    std::vector<std::uint32_t> close;
    auto& cs = nodes_[i]->conns;
    for (const Conn& c : cs)
      if (!c.is_protected && c.active_ms + o_.idle_ms <= now_) close.push_back(c.peer);
    if (cs.size() - close.size() > o_.high_water) {
      std::vector<const Conn*> victims;
      for (const Conn& c : cs)
        if (!c.is_protected && c.opened_ms + o_.grace_ms <= now_ && c.active_ms + o_.idle_ms > now_)
          victims.push_back(&c);
      std::sort(victims.begin(), victims.end(),
                [](const Conn* x, const Conn* y) { return x->active_ms < y->active_ms; });
      std::size_t left = cs.size() - close.size();
      for (const Conn* c : victims) {
        if (left <= o_.low_water) break;
        close.push_back(c->peer);
        --left;
      }
    }
    for (std::uint32_t p : close) disconnect(i, p);
  }
}

std::uint32_t World::new_msg(Message m) {
  if (!free_msgs_.empty()) {
    const std::uint32_t i = free_msgs_.back();
    free_msgs_.pop_back();
    msgs_[i] = std::move(m);
    return i;
  }
  msgs_.push_back(std::move(m));
  return static_cast<std::uint32_t>(msgs_.size() - 1);
}

void World::free_msg(std::uint32_t i) {
  msgs_[i].bytes.clear();
  msgs_[i].bytes.shrink_to_fit();
  free_msgs_.push_back(i);
}

bool World::send(std::uint32_t from, const std::string& to_id, bool exchange, bool want,
                 const std::vector<std::uint8_t>& b, std::string& error) {
  const std::uint32_t to = index_of(to_id);
  if (to >= nodes_.size() || to == from) {
    error = "no connection to or address for node";
    return false;
  }
  Message m;
  m.exchange = exchange;
  m.want_neighbour = want;
  m.bytes = b;
  m.sent_ms = now_;
  m.traffic = std::exchange(nodes_[from]->pending, TrafficTally{});
  tally(m.traffic);  // counted by the sender
  Event e{};
  e.a = from;
  e.b = to;
  e.msg = new_msg(std::move(m));
  if (conn(from, to)) {
    e.type = Ev::Request;
    e.t = now_ + latency();
  } else {
    e.type = Ev::Connect;  // a dial first: TCP and the encrypted handshake, two round trips
    e.t = now_ + 4 * latency();
  }
  push(e);
  return true;
}

void World::fail(std::uint32_t requester, std::uint32_t target, std::uint32_t msg) {
  // The requester learns at its timeout (a dead host does not answer; a closed connection is
  // noticed no sooner in this model).
  Event f{};
  f.t = std::max(now_, msgs_[msg].sent_ms + o_.timeout_ms);
  f.type = Ev::Fail;
  f.a = requester;
  f.b = target;
  f.msg = msg;
  msgs_[msg].ok = false;
  msgs_[msg].error = "timed out";
  push(f);
}

void World::deliver_request(const Event& e) {
  Node& from = *nodes_[e.a];
  Node& to = *nodes_[e.b];
  if (!from.alive) {
    free_msg(e.msg);
    return;
  }
  Conn* c = conn(e.a, e.b);
  if (!to.alive || !c) {
    fail(e.a, e.b, e.msg);
    return;
  }
  c->active_ms = now_;
  if (Conn* back = conn(e.b, e.a)) back->active_ms = now_;
  Message& m = msgs_[e.msg];
  tally(m.traffic);  // and by the receiver
  EngineReply r = m.exchange
                      ? to.engine->handle_exchange(from.id, m.bytes.data(), m.bytes.size())
                      : to.engine->handle_quality_request(from.id, m.bytes.data(), m.bytes.size(), from.endpoint);
  Message& m2 = msgs_[e.msg];  // the handler may have sent (msgs_ may have grown)
  m2.ok = r.status == BUTTER_OK;
  m2.bytes = std::move(r.bytes);
  m2.error = r.error;
  m2.traffic = std::exchange(to.pending, TrafficTally{});
  tally(m2.traffic);
  Event back{};
  back.t = now_ + latency();
  back.type = Ev::Response;
  back.a = e.a;
  back.b = e.b;
  back.msg = e.msg;
  push(back);
}

void World::deliver_response(const Event& e) {
  Node& from = *nodes_[e.a];
  if (!from.alive) {
    free_msg(e.msg);
    return;
  }
  Conn* c = conn(e.a, e.b);
  if (!c) {
    // The connection closed with the answer on it: the request fails.
    msgs_[e.msg].ok = false;
    msgs_[e.msg].error = "connection closed";
    msgs_[e.msg].bytes.clear();
  } else {
    c->active_ms = now_;
    if (Conn* back = conn(e.b, e.a)) back->active_ms = now_;
  }
  const Message m = std::move(msgs_[e.msg]);
  free_msg(e.msg);
  if (m.ok) tally(m.traffic);  // the answer as its receiver counts it
  const std::string& id = nodes_[e.b]->id;
  if (m.exchange) {
    from.engine->on_exchange_result(id, m.want_neighbour, m.ok, m.bytes.data(), m.bytes.size(), m.error);
  } else {
    from.engine->on_probe_result(id, m.ok, m.bytes.data(), m.bytes.size(), m.error);
  }
}

void World::counted(Metric m, std::uint64_t n) {
  if (!measuring_) return;
  if (m == Metric::MembershipBytes) bytes_ += n;
  if (m == Metric::PexBytes) pex_bytes_ += n;
  if (m == Metric::RecordsNews) news_ += n;
}

void World::note_progress(std::uint32_t i) {
  Node& n = *nodes_[i];
  if (!n.newcomer || !n.alive) return;
  const double s = static_cast<double>(now_ - n.born_ms) / 1000.0;
  if (!n.reached_low && n.conns.size() >= o_.low_water) {
    n.reached_low = true;
    low_water_s_.push_back(s);
  }
  if (!n.reached_out && n.engine->neighbours().out_count() >= n.engine->neighbours().options().want_out) {
    n.reached_out = true;
    out_full_s_.push_back(s);
  }
}

SimResult World::run() {
  // The initial network: N nodes part-way through their sessions, each knowing a few records.
  for (std::size_t k = 0; k < o_.nodes; ++k) make_node(o_.fixed_seed_node && k == 0 ? kNever : session_ms(true));
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) start_node(i, -1);
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    for (std::size_t k = 0; k < o_.warm_records && nodes_.size() > 1; ++k) {
      auto j = static_cast<std::uint32_t>(std::uniform_int_distribution<std::size_t>(0, nodes_.size() - 1)(rng_));
      if (j == i) continue;
      if (const PeerRecord* r = nodes_[j]->engine->own_record()) nodes_[i]->engine->restore(*r);
    }
  }
  const double mean_ms = o_.median_session_s * 1000.0 * std::exp(o_.session_sigma * o_.session_sigma / 2);
  const double join_rate_per_ms = static_cast<double>(o_.nodes) / mean_ms;  // joins balance departures
  std::exponential_distribution<double> gap(join_rate_per_ms);
  push(Event{static_cast<std::uint64_t>(gap(rng_)), 0, Ev::Join});
  push(Event{o_.neighbour_ms, 0, Ev::NeighbourTick});
  push(Event{kSweepMs, 0, Ev::Sweep});
  const std::uint64_t end = o_.settle_ms + o_.measure_ms;
  while (!q_.empty() && q_.top().t <= end) {
    const Event e = q_.top();
    q_.pop();
    now_ = e.t;
    ++events_;
    if (!measuring_ && now_ >= o_.settle_ms) {
      measuring_ = true;
      measure_start_ = now_;
    }
    switch (e.type) {
      case Ev::Join: {
        const std::uint32_t i = make_node(session_ms(false));
        nodes_[i]->newcomer = measuring_;
        if (measuring_) ++joins_;
        start_node(i, random_live(i));
        push(Event{now_ + std::max<std::uint64_t>(1, static_cast<std::uint64_t>(gap(rng_))), 0, Ev::Join});
        break;
      }
      case Ev::Leave:
        leave(e.a);
        break;
      case Ev::ExchangeTimer:
        if (nodes_[e.a]->alive && nodes_[e.a]->exchange_gen == e.gen) nodes_[e.a]->engine->exchange_timer();
        break;
      case Ev::Refresh:
        if (nodes_[e.a]->alive) {
          nodes_[e.a]->engine->refresh();
          push(Event{now_ + o_.refresh_ms, 0, Ev::Refresh, e.a});
        }
        break;
      case Ev::NeighbourTick: {
        const std::vector<std::uint32_t> live = live_;  // a tick may close connections, not add nodes
        for (std::uint32_t i : live) {
          Node& n = *nodes_[i];
          if (!n.alive) continue;
          if (n.engine->neighbours().out_count() < n.engine->neighbours().options().want_out)
            n.engine->neighbour_tick();
          note_progress(i);
        }
        push(Event{now_ + o_.neighbour_ms, 0, Ev::NeighbourTick});
        break;
      }
      case Ev::Sweep:
        sweep();
        push(Event{now_ + kSweepMs, 0, Ev::Sweep});
        break;
      case Ev::Connect: {
        const bool up = nodes_[e.a]->alive && nodes_[e.b]->alive;
        if (up) connect(e.a, e.b);
        if (e.msg == ~0u) break;  // a bootstrap dial carries no request
        if (!nodes_[e.a]->alive) {
          free_msg(e.msg);
        } else if (!up) {
          fail(e.a, e.b, e.msg);
        } else {
          Event r = e;
          r.type = Ev::Request;
          r.t = now_ + latency();
          push(r);
        }
        break;
      }
      case Ev::Request:
        deliver_request(e);
        break;
      case Ev::Response:
        deliver_response(e);
        break;
      case Ev::Fail: {
        Node& n = *nodes_[e.a];
        const Message m = std::move(msgs_[e.msg]);
        free_msg(e.msg);
        if (!n.alive) break;
        if (m.exchange) {
          n.engine->on_exchange_result(nodes_[e.b]->id, m.want_neighbour, false, nullptr, 0, m.error);
        } else {
          n.engine->on_probe_result(nodes_[e.b]->id, false, nullptr, 0, m.error);
        }
        break;
      }
    }
  }
  now_ = end;
  return report();
}

}  // namespace butter::knownhosts::sim
