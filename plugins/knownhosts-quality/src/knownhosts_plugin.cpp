// The known-host cache plugin: the host's side of the MembershipEngine — timers, connection
// events and requests in; butter.peers/1, /knownhosts and gauges out.
#include "knownhosts_plugin.hpp"

#include "knownhosts_env.hpp"
#include "quality_message.hpp"

#include <butter/wire.hpp>
#include <nlohmann/json.hpp>

#include <random>

namespace butter::knownhosts {

namespace {
using Json = nlohmann::ordered_json;  // keys keep the order they are set in

// Addresses and endpoints come from peers: a byte of invalid UTF-8 is written as U+FFFD, where a
// plain dump() would throw.
std::string dump_json(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }
}  // namespace

KnownHosts::~KnownHosts() = default;

void KnownHosts::init() {
  conns_ = butter::Connections(host());
  MembershipConfig cfg = read_config();
  env_ = std::make_unique<HostEnv>(*this);
  engine_ = std::make_unique<MembershipEngine>(*env_, std::string(node().id()), std::move(cfg), std::random_device{}());
  capacity_.set(static_cast<double>(engine_->cache().capacity()));

  provide(BUTTER_IFACE_PEERS, peers_vtable());
  on(kProtocol, [this](const butter::Request& req, butter::Reply& reply) {
    const std::string from(req.from());
    std::string observed;
    for (const auto& p : peers())
      if (p.node_id == from) observed = p.remote_address;
    EngineReply r = engine_->handle_quality_request(from, req.bytes().data(), req.bytes().size(), observed);
    if (r.status == BUTTER_OK) {
      reply.ok(r.bytes);
    } else {
      reply.error(r.status, r.error);
    }
    update_gauges();
  });
  on(kExchangeProtocol, [this](const butter::Request& req, butter::Reply& reply) {
    EngineReply r = engine_->handle_exchange(std::string(req.from()), req.bytes().data(), req.bytes().size());
    if (r.status == BUTTER_OK) {
      reply.ok(r.bytes);
    } else {
      reply.error(r.status, r.error);
    }
    update_gauges();
  });
  on_peer([this](butter::PeerEvent ev, std::string_view id) {
    std::string peer(id);
    if (ev == butter::PeerEvent::Up) {
      std::vector<std::string> hello;
      bool listed = false;
      for (const auto& p : peers()) {
        if (p.node_id == peer) {
          hello = p.endpoints;
          listed = true;
        }
      }
      engine_->on_peer_up(peer, listed ? &hello : nullptr);
    } else {
      engine_->on_peer_down(peer);
    }
    update_gauges();
  });
  if (http().available()) {
    http().get("/knownhosts",
               [this](const butter::HttpRequest&, butter::HttpResponse& res) { res.json(report_json()); });
  }
}

void KnownHosts::start() {
  refresh_timer_ = every(refresh_, [this] {
    engine_->refresh();
    update_gauges();
  });
  neighbour_timer_ = every(neighbour_period_, [this] {
    engine_->neighbour_tick();
    update_gauges();
  });
  engine_->start();
  update_gauges();
}

void KnownHosts::stop() {
  refresh_timer_.cancel();
  neighbour_timer_.cancel();
  exchange_timer_.cancel();
}

butter_status KnownHosts::add_candidate(const std::string& id, std::vector<std::string> endpoints,
                                        std::string_view source) {
  butter_status s = engine_->add_candidate(id, std::move(endpoints), source);
  update_gauges();
  return s;
}

butter_status KnownHosts::remove(const std::string& id) {
  butter_status s = engine_->remove(id);
  update_gauges();
  return s;
}

void KnownHosts::update_gauges() {
  hosts_.set(static_cast<double>(engine_->cache().size()));
  candidates_.set(static_cast<double>(engine_->probation().size()));
  neighbours_out_.set(static_cast<double>(engine_->neighbours().out_count()));
  neighbours_in_.set(static_cast<double>(engine_->neighbours().in_count()));
}

butter_peer_record KnownHosts::record(const HostEntry& h, std::vector<butter_str>& eps) const {
  eps.clear();
  for (const auto& e : h.endpoints) eps.push_back(butter_str{e.data(), e.size()});
  butter_peer_record r{};
  r.struct_size = sizeof r;
  r.node_id = butter_str{h.id.data(), h.id.size()};
  r.endpoint_count = static_cast<std::uint32_t>(eps.size());
  r.endpoints = eps.data();
  r.quality_known = h.quality_known ? 1 : 0;
  // What this node observed, not what the host claims (a fresh id's claims count for nothing).
  const QualityCache& cache = engine_->cache();
  const Quality q = cache.effective(h);
  r.quality = butter_peer_quality{sizeof(butter_peer_quality), q.uptime_s, q.free_storage, q.hosts_known};
  r.last_seen_ms = h.last_seen_ms;
  r.failures = h.failures;
  r.quality_class = cache.class_of(h.id);
  return r;
}

std::string KnownHosts::report_json() const {
  const QualityCache& cache = engine_->cache();
  const Means m = cache.means();
  Json hosts = Json::array();
  for (const auto& [id, h] : cache.hosts()) {
    hosts.push_back(Json{{"id", id},
                         {"class", quality_class(cache.effective(h), m)},
                         {"uptime_s", h.quality.uptime_s},
                         {"free_storage", h.quality.free_storage},
                         {"hosts_known", h.quality.hosts_known},
                         {"observed_ms", observed_ms(h)},
                         {"answers", h.answers},
                         {"address", h.address},
                         {"failures", h.failures},
                         {"endpoints", h.endpoints}});
  }
  return dump_json(Json{{"capacity", cache.capacity()},
                        {"candidates", engine_->probation().size()},
                        {"classes", cache.class_counts()},
                        {"hosts", std::move(hosts)}});
}

}  // namespace butter::knownhosts
