// nat-ambassador's configuration and lifecycle: init reads the manifest keys (their defaults and
// ranges are the schema's, plugin_entry.cpp) and wires the handlers; start arms the timers; stop
// ends what is under way.
#include "nat_plugin.hpp"

#include <limits>

namespace butter::nat {

namespace {

// A duration key whose schema says .min(1) (get_int checks it).
std::chrono::milliseconds positive_ms(const butter::Config& cfg, const char* key) {
  return std::chrono::milliseconds(cfg.get_int(key));
}

}  // namespace

void NatAmbassador::init() {
  // Defaults and ranges are the schema's (plugin_entry.cpp): the host serves the defaults and
  // refuses values out of range (`butter check` reports them). The checks here guard the casts on
  // a host that enforces no ranges (older than ABI 1.3) and say what a schema cannot (mode's words).
  self_ = std::string(node().id());
  reach_config_.mode = config().get_string("mode");
  if (reach_config_.mode != "auto" && reach_config_.mode != "public" && reach_config_.mode != "private")
    throw butter::Error(BUTTER_E_INVALID, "mode must be \"auto\", \"public\" or \"private\"");
  limits_.serve = config().get_bool("ambassador");
  const std::int64_t max_clients = config().get_int("max_clients");
  const std::int64_t max_bytes = config().get_int("max_relay_bytes");
  const std::int64_t max_ms = config().get_int("max_relay_ms");
  const std::int64_t window = config().get_int("relay_window_bytes");
  const std::int64_t per_client = config().get_int("max_circuits_per_client");
  const std::int64_t quorum = config().get_int("quorum");
  const std::int64_t probes = config().get_int("probes");
  const std::int64_t capture = config().get_int("debug_capture_bytes");
  limits_.max_clients = static_cast<std::uint32_t>(max_clients);
  limits_.max_relay_bytes = static_cast<std::uint64_t>(max_bytes);
  limits_.max_relay_ms = static_cast<std::uint64_t>(max_ms);
  limits_.window = static_cast<std::uint64_t>(window);
  limits_.max_circuits_per_client = static_cast<std::size_t>(per_client);
  reach_config_.quorum = static_cast<unsigned>(quorum);
  reach_config_.probes = static_cast<unsigned>(probes);
  capture_.max = static_cast<std::size_t>(std::min<std::int64_t>(capture, 16 * 1024 * 1024));
  reach_config_.check_fast = positive_ms(config(), "check_fast_ms");
  reach_config_.check_slow = positive_ms(config(), "check_ms");
  reach_config_.dialback_timeout = positive_ms(config(), "dialback_timeout_ms");
  keepalive_ = positive_ms(config(), "keepalive_ms");
  request_timeout_ = positive_ms(config(), "request_timeout_ms");
  status_every_ = positive_ms(config(), "status_ms");
  reach_.verdict = Verdict(reach_config_.quorum);
  punch_config_.enabled = config().get_bool("punch");
  const std::int64_t observed_quorum = config().get_int("observed_quorum");
  const std::int64_t punch_attempts = config().get_int("punch_attempts");
  punch_config_.attempts_max = static_cast<unsigned>(punch_attempts);
  observed_ = ObservedAddresses(static_cast<unsigned>(observed_quorum), 10 * 60 * 1000);
  mapping_ = PortMapping(static_cast<unsigned>(observed_quorum), 10 * 60 * 1000);
  punch_config_.window = std::chrono::milliseconds(config().get_int("punch_window_ms"));
  punch_config_.backoff = positive_ms(config(), "punch_backoff_ms");
  punch_config_.every = positive_ms(config(), "upgrade_ms");
  punch_.v1 = host() && host()->get_extension
                  ? static_cast<const butter_punch_v1*>(host()->get_extension(host(), BUTTER_EXT_PUNCH))
                  : nullptr;
  if (!punch_.v1 && punch_config_.enabled)
    log().info("the host has no " BUTTER_EXT_PUNCH ": relayed connections stay relayed");
  punch_.v2 =
      punch_.v1 ? static_cast<const butter_punch_v2*>(host()->get_extension(host(), BUTTER_EXT_PUNCH2)) : nullptr;
  const std::int64_t spread_sockets = config().get_int("punch_spread_sockets");
  const std::int64_t spread_guesses = config().get_int("punch_spread_guesses");
  punch_config_.spread_sockets = static_cast<std::uint32_t>(spread_sockets);
  punch_config_.spread_guesses = static_cast<std::uint32_t>(spread_guesses);
  punch_config_.hard_sockets = static_cast<std::uint32_t>(config().get_int("punch_hard_sockets"));
  punch_config_.hard_guesses = static_cast<std::uint32_t>(config().get_int("punch_hard_guesses"));

  streams_ = butter::Streams(host());
  conns_ = butter::Connections(host());
  if (!streams_.available())
    log().warn("the host has no " BUTTER_EXT_STREAMS ": relayed connections cannot reach this node");
  relay_ends_.register_dialer();

  on(kRelayProtocol, [this](const butter::Request& req, butter::Reply& reply) { handle_relay(req, reply); });
  on(kNatProtocol, [this](const butter::Request& req, butter::Reply& reply) { handle_nat(req, reply); });
  on_peer([this](butter::PeerEvent ev, std::string_view id) {
    const std::string peer(id);
    if (ev == butter::PeerEvent::Up) return reach_check_.announce_to(peer);
    reach_check_.forget(peer);
    upgrader_.forget(peer);  // upgrades and vouches start afresh if it comes back
    relay_peer_down(peer);
    ambassador_.peer_down(peer);
  });
  if (http().available()) add_routes();
}

void NatAmbassador::start() {
  reach_check_.start();
  keep_timer_ = every(keepalive_, [this] {
    relay_ends_.register_dialer();
    ambassador_.keep();
  });
  reach_check_.start_announcing(status_every_);
  sweep_timer_ = every(std::chrono::milliseconds(500), [this] { sweep_relays(); });
  upgrader_.start();
}

void NatAmbassador::stop() {
  reach_check_.stop();
  keep_timer_.cancel();
  sweep_timer_.cancel();
  upgrader_.stop();
  bulk_.reset();  // answers a throughput run under way (500)
  dialback_server_.stop();
  // The host closes every connection over our streams when the instance stops.
  relay_ends_.stop();
}

}  // namespace butter::nat
