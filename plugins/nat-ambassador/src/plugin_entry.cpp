// nat-ambassador: configuration, lifecycle, HTTP routes (/nat, /nat/ping, /nat/capture) and the
// exported descriptor.
#include "json_answer.hpp"
#include "nat_plugin.hpp"

#include <butter/iface/peers.h>
#include <butter/wire.hpp>

#include <cstdio>
#include <limits>

namespace butter::nat {

namespace {

// GET /nat/ping's answer: {"ok", "answer", "from", "via"}.
std::string ping_json(bool ok, std::string_view answer, std::string_view from, std::string_view via) {
  Json j = Json::object();
  j["ok"] = ok;
  j["answer"] = answer;
  j["from"] = from;
  j["via"] = via;
  return dump_json(j);
}

std::chrono::milliseconds positive_ms(const butter::Config& cfg, const char* key) {
  return std::chrono::milliseconds(cfg.get_int_in(key, 1, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

void NatAmbassador::init() {
  // Defaults and ranges are the schema's (the descriptor below): the host serves the defaults and
  // refuses values out of range (`butter check` reports them). The checks here guard the casts on
  // a host that enforces no ranges (older than ABI 1.3) and say what a schema cannot (mode's words).
  self_ = std::string(node().id());
  reach_config_.mode = config().get_string("mode");
  if (reach_config_.mode != "auto" && reach_config_.mode != "public" && reach_config_.mode != "private")
    throw butter::Error(BUTTER_E_INVALID, "mode must be \"auto\", \"public\" or \"private\"");
  limits_.serve = config().get_bool("ambassador");
  constexpr std::int64_t kAny = std::numeric_limits<std::int64_t>::max();
  const std::int64_t max_clients = config().get_int_in("max_clients", 0, 1000000);
  const std::int64_t max_bytes = config().get_int_in("max_relay_bytes", 0, kAny);
  const std::int64_t max_ms = config().get_int_in("max_relay_ms", 0, kAny);
  const std::int64_t window = config().get_int_in("relay_window_bytes", static_cast<std::int64_t>(kMinWindow),
                                                  static_cast<std::int64_t>(kMaxWindow));
  const std::int64_t per_client = config().get_int_in("max_circuits_per_client", 1, 4096);
  const std::int64_t quorum = config().get_int_in("quorum", 1, 16);
  const std::int64_t probes = config().get_int_in("probes", 1, 16);
  const std::int64_t capture = config().get_int_in("debug_capture_bytes", 0, kAny);
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
  const std::int64_t observed_quorum = config().get_int_in("observed_quorum", 1, 16);
  const std::int64_t punch_attempts = config().get_int_in("punch_attempts", 1, 100);
  punch_config_.attempts_max = static_cast<unsigned>(punch_attempts);
  observed_ = ObservedAddresses(static_cast<unsigned>(observed_quorum), 10 * 60 * 1000);
  mapping_ = PortMapping(static_cast<unsigned>(observed_quorum), 10 * 60 * 1000);
  punch_config_.window = std::chrono::milliseconds(config().get_int_in("punch_window_ms", 1, 60000));
  punch_config_.backoff = positive_ms(config(), "punch_backoff_ms");
  punch_config_.every = positive_ms(config(), "upgrade_ms");
  punch_.v1 = host() && host()->get_extension
                  ? static_cast<const butter_punch_v1*>(host()->get_extension(host(), BUTTER_EXT_PUNCH))
                  : nullptr;
  if (!punch_.v1 && punch_config_.enabled)
    log().info("the host has no " BUTTER_EXT_PUNCH ": relayed connections stay relayed");
  punch_.v2 =
      punch_.v1 ? static_cast<const butter_punch_v2*>(host()->get_extension(host(), BUTTER_EXT_PUNCH2)) : nullptr;
  const std::int64_t spread_sockets = config().get_int_in("punch_spread_sockets", 0, 256);
  const std::int64_t spread_guesses = config().get_int_in("punch_spread_guesses", 0, 256);
  punch_config_.spread_sockets = static_cast<std::uint32_t>(spread_sockets);
  punch_config_.spread_guesses = static_cast<std::uint32_t>(spread_guesses);
  punch_config_.hard_sockets = static_cast<std::uint32_t>(config().get_int_in("punch_hard_sockets", 0, 256));
  punch_config_.hard_guesses = static_cast<std::uint32_t>(config().get_int_in("punch_hard_guesses", 0, 256));

  streams_ = butter::Streams(host());
  conns_ = butter::Connections(host());
  if (!streams_.available())
    log().warn("the host has no " BUTTER_EXT_STREAMS ": relayed connections cannot reach this node");
  try_register_dialer();

  on(kRelayProtocol, [this](const butter::Request& req, butter::Reply& reply) { handle_relay(req, reply); });
  on(kNatProtocol, [this](const butter::Request& req, butter::Reply& reply) { handle_nat(req, reply); });
  on_peer([this](butter::PeerEvent ev, std::string_view id) {
    const std::string peer(id);
    if (ev == butter::PeerEvent::Up) return announce_to(peer);
    reach_.forget(peer);
    upgrades_.forget(peer);  // a relayed peer that comes back starts afresh
    vouched_.forget(peer);   // its next circuit is vouched for afresh
    relay_peer_down(peer);
    if (peer == ambassador_.id) {
      drop_ambassador("its connection went down", true);
      choose_ambassador();
    }
    if (peer == ambassador_.registering) ambassador_.registering.clear();
  });
  if (http().available()) {
    http().get("/nat", [this](const butter::HttpRequest&, butter::HttpResponse& res) { res.json(report_json()); });
    http().get("/nat/ping",
               [this](const butter::HttpRequest& req, butter::HttpResponse& res) { ping_route(req, std::move(res)); });
    http().get("/nat/throughput", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
      throughput_route(req, std::move(res));
    });
    http().get("/nat/capture", [this](const butter::HttpRequest&, butter::HttpResponse& res) {
      res.json(dump_json(Json{{"bytes", capture_.bytes.size()}, {"hex", butter::wire::to_hex(capture_.bytes)}}));
    });
  }
}

// relay:// may still be served by the instance this one replaces (hot swap): retried every
// keepalive until it is free.
void NatAmbassador::try_register_dialer() {
  if (dialer_registered_) return;
  try {
    streams_.register_dialer("relay", this);
    dialer_registered_ = true;
  } catch (const butter::Error& e) {
    log().warn("relay:// dialer not registered yet ({}); retrying", e.what());
  }
}

void NatAmbassador::start() {
  const std::string& mode = reach_config_.mode;
  if (mode != "auto") set_verdict_from(reach_.verdict.force(mode == "public" ? Reach::Public : Reach::Private));
  // Nothing listens: private from the start, no need to wait for a first check.
  if (mode == "auto" && own_ports().empty()) set_verdict_from(reach_.verdict.force(Reach::Private));
  schedule_check();
  ambassador_.keep_timer = every(keepalive_, [this] {
    try_register_dialer();
    keep_ambassador();
  });
  reach_.status_timer = every(status_every_, [this] { announce(); });
  sweep_timer_ = every(std::chrono::milliseconds(500), [this] { sweep_relays(); });
  upgrades_.timer = every(punch_config_.every, [this] { upgrade_tick(); });
}

void NatAmbassador::stop() {
  reach_.check_timer.cancel();
  ambassador_.keep_timer.cancel();
  reach_.status_timer.cancel();
  sweep_timer_.cancel();
  upgrades_.timer.cancel();
  upgrades_.by_peer.clear();  // the host drops punch callbacks of a stopped instance
  bulk_.reset();              // answers a throughput run under way (500)
  upgrades_.offers.clear();
  dialbacks_.stop();
  // The host closes every connection over our streams when the instance stops.
  relay_streams_.clear();
}

std::string NatAmbassador::report_json() const {
  Json j = Json::object();
  j["node"] = self_;
  j["mode"] = reach_config_.mode;
  j["verdict"] = reach_name(reach_.verdict.state());
  j["ambassador"] = string_or_null(ambassador_.id);
  j["relay_endpoint"] = string_or_null(ambassador_.relay_endpoint);
  j["moves"] = ambassador_.moves;
  j["serving"] = serving();
  j["clients"] = clients_.ids();
  j["clients_served"] = clients_.size();
  j["max_clients"] = limits_.max_clients;
  j["relays_active"] = circuits_.size();
  j["streams"] = relay_streams_.size();
  j["known_public"] = reach_.known_public();
  j["punch"] = punch_json();
  return dump_json(j);
}

// GET /nat/ping?peer=<node id or endpoint URI>: a /butter/nat/1 ping through the ordinary
// messaging path (so through a relay:// endpoint when given one), for operators and tests.
void NatAmbassador::ping_route(const butter::HttpRequest& req, butter::HttpResponse res) {
  auto peer = req.query_param("peer");
  if (!peer || peer->empty()) {
    res.status(400).text("missing ?peer=");
    return;
  }
  auto shared = std::make_shared<butter::HttpResponse>(std::move(res));
  const std::string target = *peer;
  auto st = request(target, kNatProtocol, encode_ping("hello"), request_timeout_ * 3,
                    [this, shared, target](const butter::Response& r) {
                      std::string via;
                      for (const auto& p : peers())
                        if (p.node_id == r.from()) via = p.remote_address;
                      shared->json(ping_json(r.ok(), r.ok() ? r.text() : std::string_view(r.error()), r.from(), via));
                    });
  if (!st) shared->json(ping_json(false, st.message(), "", ""));
}

}  // namespace butter::nat

namespace {
// The concerns' own defaults (reachability.hpp, relay.hpp, upgrade.hpp) and the plugin's
// (nat_plugin.hpp) are the schema's: each default is written once, and the unit tests run with the
// same values.
const butter::nat::ReachabilityConfig kReach{};
const butter::nat::Limits kLimits{};
const butter::nat::Capture kCapture{};
const butter::nat::PunchConfig kPunch{};
const butter::nat::PluginSettings kPlugin{};
}  // namespace

BUTTER_PLUGIN(
    butter::nat::NatAmbassador,
    butter::Descriptor{
        .id = "butter.nat.ambassador",
        .name = "NAT traversal: reachability and ambassadors",
        .vendor = "Butter",
        .version = "1.0.0",
        .description = "Detects whether this node is reachable; relays for private nodes as an ambassador "
                       "and, when private, keeps an ambassador and a relay:// endpoint",
        .optional = {BUTTER_IFACE_PEERS},
        .config = {
            butter::config_string("mode", kReach.mode)
                .max_len(16)
                .describe("auto (dial-back checks), public or private"),
            butter::config_bool("ambassador", kLimits.serve).describe("serve as an ambassador when public"),
            butter::config_int("max_clients", kLimits.max_clients)
                .range(0, 1000000)
                .describe("private nodes served at once"),
            butter::config_int("max_relay_bytes", kLimits.max_relay_bytes)
                .min(0)
                .unit("bytes")
                .describe("bytes per relayed connection, both ways; 0 = no limit"),
            butter::config_int("max_relay_ms", kLimits.max_relay_ms)
                .min(0)
                .unit("ms")
                .describe("lifetime of a relayed connection; 0 = no limit"),
            butter::config_int("relay_window_bytes", kLimits.window)
                .range(static_cast<std::int64_t>(butter::nat::kMinWindow),
                       static_cast<std::int64_t>(butter::nat::kMaxWindow))
                .unit("bytes")
                .describe("bytes a relayed connection's far end may send ahead of what this node took"),
            butter::config_int("max_circuits_per_client", kLimits.max_circuits_per_client)
                .range(1, 4096)
                .describe("relayed connections at once to one private node served (as an ambassador)"),
            butter::config_int("quorum", kReach.quorum)
                .range(1, 16)
                .describe("distinct peers that must agree on a verdict"),
            butter::config_int("probes", kReach.probes).range(1, 16).describe("peers asked per check"),
            butter::config_int("check_fast_ms", kReach.check_fast.count())
                .min(1)
                .unit("ms")
                .describe("check period while undecided"),
            butter::config_int("check_ms", kReach.check_slow.count())
                .min(1)
                .unit("ms")
                .describe("check period once decided"),
            butter::config_int("dialback_timeout_ms", kReach.dialback_timeout.count())
                .min(1)
                .unit("ms")
                .describe("deadline of one dial-back connect"),
            butter::config_int("keepalive_ms", kPlugin.keepalive.count())
                .min(1)
                .unit("ms")
                .describe("ambassador registration refresh"),
            butter::config_int("request_timeout_ms", kPlugin.request_timeout.count())
                .min(1)
                .unit("ms")
                .describe("deadline of relay and nat requests"),
            butter::config_int("status_ms", kPlugin.status_every.count())
                .min(1)
                .unit("ms")
                .describe("period of the check for a changed status (sent to every peer when it changes)"),
            butter::config_int("debug_capture_bytes", kCapture.max)
                .range(0, 16 * 1024 * 1024)
                .unit("bytes")
                .describe("DEBUG: keep the first N relayed bytes for GET /nat/capture"),
            butter::config_bool("punch", kPunch.enabled)
                .describe("try to replace relayed connections by direct ones (hole punching)"),
            butter::config_int("observed_quorum", kPlugin.observed_quorum)
                .range(1, 16)
                .describe("distinct peers that must report a public address before it is punched at"),
            butter::config_int("punch_window_ms", kPunch.window.count())
                .range(1, 60000)
                .unit("ms")
                .describe("how long one punch keeps trying"),
            butter::config_int("punch_backoff_ms", kPunch.backoff.count())
                .min(1)
                .unit("ms")
                .describe("wait after a failed punch, doubled each time up to 60 s"),
            butter::config_int("punch_attempts", kPunch.attempts_max)
                .range(1, 100)
                .describe("punches tried per relayed peer before it stays relayed"),
            butter::config_int("punch_spread_sockets", kPunch.spread_sockets)
                .range(0, 256)
                .describe("per punch, more sockets from distinct local ports to the peer's public address, for "
                          "random-mapping NATs; only to an IP the circuit's ambassador vouches for"),
            butter::config_int("punch_spread_guesses", kPunch.spread_guesses)
                .range(0, 256)
                .describe("per punch, SYNs from the listen port to random ports of the peer's public IP, for "
                          "random-mapping NATs; only to an IP the circuit's ambassador vouches for"),
            butter::config_int("punch_hard_sockets", kPunch.hard_sockets)
                .range(0, 256)
                .describe("sockets a punch opens to the peer's public address when this node's NAT varies its "
                          "ports and the peer's keeps them (the birthday attempt; 0: off)"),
            butter::config_int("punch_hard_guesses", kPunch.hard_guesses)
                .range(0, 256)
                .describe("SYNs a punch sends to random ports of the peer's public IP when the peer's NAT "
                          "varies its ports and this node's keeps them (the birthday attempt; 0: off)"),
            butter::config_int("upgrade_ms", kPunch.every.count())
                .min(1)
                .unit("ms")
                .describe("period of the check for relayed peers to upgrade"),
        }});
